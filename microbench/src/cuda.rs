//! The experiment on an NVIDIA GPU, through `cudarc` with the driver and NVRTC loaded at run time.
//!
//! A build needs no CUDA toolkit. At run time, a machine without `libcuda` says so (and the
//! collector records nothing); one with the driver but without `libnvrtc` says which library is
//! missing. The kernels are CUDA C compiled by NVRTC for the device's own architecture, with no
//! header (f16 is converted by the PTX `cvt` instructions), each thread loading and storing 16
//! bytes at a time in a grid-stride loop. Every kernel sequence is timed with two CUDA events on
//! one stream around its launches, so launch gaps inside the unfused pair are part of its time,
//! as they are of an application's.
//!
//! The unsafe code of this module is the kernel launches. Invariant: each launch pushes exactly
//! the parameters of the kernel's signature in [`SOURCE`], in order and with those types
//! (`CudaSlice` for pointers, `u64` for `unsigned long long`, `f32` for `float`), and every buffer
//! holds at least `vectors` 16-byte units, the loop bound each kernel gets.

use std::sync::Arc;
use std::time::Duration;

use cudarc::driver::sys::{CUdevice_attribute, CUevent_flags};
use cudarc::driver::{CudaContext, CudaEvent, CudaFunction, CudaSlice, CudaStream, LaunchConfig, PushKernelArg};
use cudarc::nvrtc::{CompileOptions, compile_ptx_with_opts};

use crate::model::{self, Dtype, Kernel};
use crate::{Device, DeviceDescription, Error};

/// The kernels. `F4` holds 4 f32 and `H8` 8 f16 (as bits): 16 bytes per load and store.
pub const SOURCE: &str = r#"
struct alignas(16) F4 { float x, y, z, w; };
struct alignas(16) H8 { unsigned int x, y, z, w; };

__device__ __forceinline__ float lo(unsigned int v) { float f; unsigned short h = (unsigned short)(v & 0xffffu); asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }
__device__ __forceinline__ float hi(unsigned int v) { float f; unsigned short h = (unsigned short)(v >> 16); asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }
__device__ __forceinline__ unsigned int pack(float l, float h) {
    unsigned short a, b;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(a) : "f"(l));
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(b) : "f"(h));
    return (unsigned int)a | ((unsigned int)b << 16);
}

#define LOOP for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n; i += (unsigned long long)gridDim.x * blockDim.x)
#define H2(f, xw, yw, k) pack(f(lo(xw), lo(yw), k), f(hi(xw), hi(yw), k))
// p, q: elements of the two inputs; k: the scalar. Copy and scale read only their first input
// (they are passed it twice; the unused load is dead code).
#define KERNELS(name, EXPR) \
  __device__ __forceinline__ float name##_op(float p, float q, float k) { return EXPR; } \
  extern "C" __global__ void name##_f32(const F4* __restrict__ a, const F4* __restrict__ b, F4* __restrict__ o, float k, unsigned long long n) { \
    LOOP { F4 x = a[i], y = b[i], r; \
      r.x = name##_op(x.x, y.x, k); r.y = name##_op(x.y, y.y, k); r.z = name##_op(x.z, y.z, k); r.w = name##_op(x.w, y.w, k); o[i] = r; } } \
  extern "C" __global__ void name##_f16(const H8* __restrict__ a, const H8* __restrict__ b, H8* __restrict__ o, float k, unsigned long long n) { \
    LOOP { H8 x = a[i], y = b[i], r; \
      r.x = H2(name##_op, x.x, y.x, k); r.y = H2(name##_op, x.y, y.y, k); r.z = H2(name##_op, x.z, y.z, k); r.w = H2(name##_op, x.w, y.w, k); o[i] = r; } }

KERNELS(add, p + q)
KERNELS(scale, k * p)
KERNELS(add_scale, k * (p + q))
KERNELS(copy, p)
KERNELS(triad, p + k * q)
"#;

const BLOCK: u32 = 256;
/// Elements in one 16-byte unit.
fn per_unit(dtype: Dtype) -> u64 {
    16 / dtype.bytes()
}

/// Blocks for `units` 16-byte units: one unit per thread, at most `max_grid` blocks.
fn grid(units: u64, max_grid: u32) -> u32 {
    u32::try_from(units.div_ceil(u64::from(BLOCK))).unwrap_or(u32::MAX).clamp(1, max_grid)
}

struct Functions {
    add: CudaFunction,
    scale: CudaFunction,
    add_scale: CudaFunction,
    copy: CudaFunction,
    triad: CudaFunction,
}

enum Buffers {
    F32 { a: CudaSlice<f32>, b: CudaSlice<f32>, t: CudaSlice<f32>, out: CudaSlice<f32> },
    F16 { a: CudaSlice<u16>, b: CudaSlice<u16>, t: CudaSlice<u16>, out: CudaSlice<u16> },
}

pub struct CudaDevice {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    f32: Functions,
    f16: Functions,
    start: CudaEvent,
    end: CudaEvent,
    description: DeviceDescription,
    max_grid: u32,
    buffers: Option<(Buffers, u64)>,
}

fn device_error(what: &str) -> impl Fn(cudarc::driver::DriverError) -> Error + '_ {
    move |e| Error::Device(format!("CUDA: {what}: {e}"))
}

/// Whether this machine has an NVIDIA driver at all (no GPU is touched).
pub fn driver_present() -> bool {
    // SAFETY: only tries to open the library by its known names.
    unsafe { cudarc::driver::sys::is_culib_present() }
}

impl CudaDevice {
    /// Opens GPU `ordinal` and compiles the kernels for it.
    pub fn new(ordinal: usize) -> Result<CudaDevice, Error> {
        if !driver_present() {
            return Err(Error::Unavailable(
                "CUDA was asked for but this machine has no NVIDIA driver (libcuda.so not found): nothing was measured".into(),
            ));
        }
        // SAFETY: as above.
        if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
            return Err(Error::Unavailable(
                "the NVIDIA driver is here but NVRTC is not (libnvrtc.so not found): install the CUDA toolkit's runtime compiler or put its lib64 directory on LD_LIBRARY_PATH; nothing was measured"
                    .into(),
            ));
        }
        let count = CudaContext::device_count().map_err(device_error("counting devices"))?;
        if count <= 0 || ordinal >= count as usize {
            return Err(Error::Unavailable(format!("CUDA device {ordinal} does not exist: the driver sees {count} device(s); nothing was measured")));
        }
        let ctx = CudaContext::new(ordinal).map_err(device_error("creating a context"))?;
        let attr = |a: CUdevice_attribute, what: &str| ctx.attribute(a).map_err(device_error(what));
        let (major, minor) = ctx.compute_capability().map_err(device_error("reading the compute capability"))?;
        let sms = attr(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "reading the SM count")? as u32;
        let threads_per_sm = attr(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, "reading threads per SM")? as u32;
        let l2 = attr(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, "reading the L2 size")?;
        let name = ctx.name().map_err(device_error("reading the device name"))?;
        let arch = format!("compute_{major}{minor}");
        let options = CompileOptions { options: vec![format!("--gpu-architecture={arch}")], ..Default::default() };
        let ptx = compile_ptx_with_opts(SOURCE, options).map_err(|e| Error::Device(format!("NVRTC could not compile the kernels for {arch}: {e}")))?;
        let module = ctx.load_module(ptx).map_err(device_error("loading the compiled kernels"))?;
        let load = |n: &str| module.load_function(n).map_err(|e| Error::Device(format!("CUDA: kernel {n} is missing from the module: {e}")));
        let functions = |suffix: &str| -> Result<Functions, Error> {
            Ok(Functions {
                add: load(&format!("add_{suffix}"))?,
                scale: load(&format!("scale_{suffix}"))?,
                add_scale: load(&format!("add_scale_{suffix}"))?,
                copy: load(&format!("copy_{suffix}"))?,
                triad: load(&format!("triad_{suffix}"))?,
            })
        };
        let (f32, f16) = (functions("f32")?, functions("f16")?);
        let stream = ctx.default_stream();
        let event = || ctx.new_event(Some(CUevent_flags::CU_EVENT_DEFAULT)).map_err(device_error("creating a timing event"));
        let (start, end) = (event()?, event()?);
        // Enough resident blocks to fill every SM, and no more: the grid-stride loop covers the rest.
        let max_grid = sms * (threads_per_sm / BLOCK).max(1);
        let description = DeviceDescription {
            backend: "cuda",
            name: name.clone(),
            last_level_cache_bytes: u64::try_from(l2).ok().filter(|&b| b > 0),
            threads: None,
            write_allocate: false,
            launch_config: serde_json::json!({
                "device": name,
                "ordinal": ordinal,
                "compute_capability": format!("{major}.{minor}"),
                "multiprocessors": sms,
                "compiled": format!("NVRTC, --gpu-architecture={arch}"),
                "block": BLOCK,
                "max_grid": max_grid,
                "bytes_per_access": 16,
                "loop": "grid-stride",
                "timer": "CUDA events on one stream around the variant's launches",
            }),
        };
        Ok(CudaDevice { ctx, stream, f32, f16, start, end, description, max_grid, buffers: None })
    }

    fn grid(&self, units: u64) -> u32 {
        grid(units, self.max_grid)
    }

    fn run(&mut self, kernel: Kernel) -> Result<(), Error> {
        let Some((buffers, units)) = &mut self.buffers else {
            return Err(Error::Device("no vectors: prepare was not called".into()));
        };
        let units = *units;
        // Borrow the functions and the buffers apart from `self` for the launch helper.
        let this = CudaLaunch { stream: &self.stream, max_grid: self.max_grid };
        match buffers {
            Buffers::F32 { a, b, t, out } => this.sequence(&self.f32, kernel, a, b, t, out, units),
            Buffers::F16 { a, b, t, out } => this.sequence(&self.f16, kernel, a, b, t, out, units),
        }
    }
}

/// What a launch needs, borrowed apart from the buffers.
struct CudaLaunch<'a> {
    stream: &'a Arc<CudaStream>,
    max_grid: u32,
}

impl CudaLaunch<'_> {
    #[allow(clippy::too_many_arguments)]
    fn sequence<T: cudarc::driver::DeviceRepr>(
        &self,
        f: &Functions,
        kernel: Kernel,
        a: &CudaSlice<T>,
        b: &CudaSlice<T>,
        t: &mut CudaSlice<T>,
        out: &mut CudaSlice<T>,
        units: u64,
    ) -> Result<(), Error> {
        match kernel {
            Kernel::Unfused => {
                self.launch(&f.add, a, b, t, 0.0, units)?;
                self.launch(&f.scale, t, t, out, model::S, units)
            }
            Kernel::Fused => self.launch(&f.add_scale, a, b, out, model::S, units),
            Kernel::Copy => self.launch(&f.copy, a, a, out, 0.0, units),
            Kernel::Triad => self.launch(&f.triad, a, b, out, model::Q, units),
        }
    }

    fn launch<T: cudarc::driver::DeviceRepr>(
        &self,
        f: &CudaFunction,
        x: &CudaSlice<T>,
        y: &CudaSlice<T>,
        o: &mut CudaSlice<T>,
        k: f32,
        units: u64,
    ) -> Result<(), Error> {
        let cfg = LaunchConfig { grid_dim: (grid(units, self.max_grid), 1, 1), block_dim: (BLOCK, 1, 1), shared_mem_bytes: 0 };
        let mut builder = self.stream.launch_builder(f);
        builder.arg(x).arg(y).arg(o).arg(&k).arg(&units);
        // SAFETY: the module's invariant: (const T*, const T*, T*, float, unsigned long long), and
        // every buffer holds `units` 16-byte units (allocated in `prepare` for these elements).
        unsafe { builder.launch(cfg) }.map(|_| ()).map_err(device_error("launching a kernel"))
    }
}

impl Device for CudaDevice {
    fn describe(&self) -> &DeviceDescription {
        &self.description
    }

    fn available_bytes(&self) -> Result<u64, Error> {
        let (free, _) = self.ctx.mem_get_info().map_err(device_error("reading free memory"))?;
        Ok(free as u64)
    }

    fn launch_config(&self, dtype: Dtype, elements: u64) -> serde_json::Value {
        let mut v = self.description.launch_config.clone();
        v["grid"] = self.grid(elements / per_unit(dtype)).into();
        v
    }

    fn prepare(&mut self, dtype: Dtype, elements: usize) -> Result<(), Error> {
        self.buffers = None;
        let n = elements as u64;
        if n % per_unit(dtype) != 0 {
            return Err(Error::Usage(format!("{n} elements is not a whole number of 16-byte units of {}", dtype.as_str())));
        }
        let s = &self.stream;
        let oom = |e: cudarc::driver::DriverError| Error::OutOfMemory(format!("{elements} elements of {}: {e}", dtype.as_str()));
        let buffers = match dtype {
            Dtype::F32 => {
                let a: Vec<f32> = (0..elements).map(model::input_a).collect();
                let b: Vec<f32> = (0..elements).map(model::input_b).collect();
                Buffers::F32 {
                    a: s.clone_htod(&a).map_err(oom)?,
                    b: s.clone_htod(&b).map_err(oom)?,
                    t: s.alloc_zeros(elements).map_err(oom)?,
                    out: s.alloc_zeros(elements).map_err(oom)?,
                }
            }
            Dtype::F16 => {
                let bits = |f: fn(usize) -> f32| -> Vec<u16> { (0..elements).map(|i| half::f16::from_f32(f(i)).to_bits()).collect() };
                Buffers::F16 {
                    a: s.clone_htod(&bits(model::input_a)).map_err(oom)?,
                    b: s.clone_htod(&bits(model::input_b)).map_err(oom)?,
                    t: s.alloc_zeros(elements).map_err(oom)?,
                    out: s.alloc_zeros(elements).map_err(oom)?,
                }
            }
        };
        s.synchronize().map_err(device_error("filling the vectors"))?;
        self.buffers = Some((buffers, n / per_unit(dtype)));
        Ok(())
    }

    fn time(&mut self, kernel: Kernel) -> Result<Duration, Error> {
        self.start.record(&self.stream).map_err(device_error("recording the start event"))?;
        self.run(kernel)?;
        self.end.record(&self.stream).map_err(device_error("recording the end event"))?;
        let ms = self.start.elapsed_ms(&self.end).map_err(device_error("reading the events"))?;
        Ok(Duration::from_secs_f64(f64::from(ms) / 1e3))
    }

    fn check(&mut self, kernel: Kernel) -> Result<(), Error> {
        let Some((buffers, _)) = &self.buffers else {
            return Err(Error::Device("no vectors: prepare was not called".into()));
        };
        let s = &self.stream;
        let read = |e| device_error("reading results back")(e);
        let (out, t): (Vec<f32>, Vec<f32>) = match buffers {
            Buffers::F32 { t, out, .. } => (s.clone_dtoh(out).map_err(read)?, s.clone_dtoh(t).map_err(read)?),
            Buffers::F16 { t, out, .. } => {
                let f = |v: Vec<u16>| v.into_iter().map(|b| half::f16::from_bits(b).to_f32()).collect();
                (f(s.clone_dtoh(out).map_err(read)?), f(s.clone_dtoh(t).map_err(read)?))
            }
        };
        let wrong = |v: &[f32], want: &dyn Fn(usize) -> f32| v.iter().enumerate().find(|&(i, &got)| got != want(i)).map(|(i, &g)| (i, g, want(i)));
        let bad = wrong(&out, &|i| model::expected_out(kernel, i))
            .or_else(|| if kernel == Kernel::Unfused { wrong(&t, &|i| model::input_a(i) + model::input_b(i)) } else { None });
        match bad {
            None => Ok(()),
            Some((i, got, want)) => Err(Error::WrongResult(format!("{} on {}: element {i} of {} is {got}, not {want}", kernel.as_str(), self.description.name, out.len()))),
        }
    }
}
