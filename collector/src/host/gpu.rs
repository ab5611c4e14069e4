//! The third source, [`GpuFacts`]: NVML (`libnvidia-ml`, loaded at run time), else the CUDA
//! driver version from `libcuda` (on Jetson, where NVML does not cover the integrated GPU).

/// GPU facts from the driver (NVML, `libcuda`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GpuFacts {
    pub name: Option<String>,
    pub driver: Option<String>,
    pub cuda_version: Option<String>,
    /// Why something is missing.
    pub notes: Vec<String>,
}

/// GPU facts from NVML, else the CUDA driver version from `libcuda`.
pub fn read_gpu_facts() -> GpuFacts {
    let mut facts = GpuFacts::default();
    match read_nvml() {
        Ok((names, driver, cuda)) => {
            facts.name = Some(names.join(" + ")).filter(|s| !s.is_empty());
            if facts.name.is_none() {
                facts.notes.push("gpu_name: NVML loaded but lists no device".into());
            }
            facts.driver = driver.map_err(|e| facts.notes.push(format!("gpu_driver: NVML: {e}"))).ok();
            facts.cuda_version = cuda.map_err(|e| facts.notes.push(format!("cuda_version: NVML: {e}"))).ok();
        }
        Err(e) => facts.notes.push(format!("gpu: NVML unavailable ({e})")),
    }
    if facts.cuda_version.is_none() {
        match cuda_driver_version_from_libcuda() {
            Ok(v) => {
                facts.cuda_version = Some(v);
                facts.notes.push("cuda_version: from libcuda cuDriverGetVersion".into());
            }
            Err(e) => facts.notes.push(format!("cuda_version: {e}")),
        }
    }
    facts
}

type NvmlAnswer = (Vec<String>, Result<String, String>, Result<String, String>);

fn read_nvml() -> Result<NvmlAnswer, String> {
    let nvml = nvml_wrapper::Nvml::init().map_err(|e| e.to_string())?;
    let count = nvml.device_count().map_err(|e| e.to_string())?;
    let mut names = Vec::new();
    for i in 0..count {
        let name = nvml.device_by_index(i).and_then(|d| d.name()).map_err(|e| format!("device {i}: {e}"))?;
        names.push(name.trim().to_owned());
    }
    let driver = nvml.sys_driver_version().map(|s| s.trim().to_owned()).map_err(|e| e.to_string());
    let cuda = nvml.sys_cuda_driver_version().map(format_cuda_version).map_err(|e| e.to_string());
    Ok((names, driver, cuda))
}

/// `cuDriverGetVersion` of `libcuda.so.1`, loaded at run time (callable before `cuInit`).
#[cfg(unix)]
pub fn cuda_driver_version_from_libcuda() -> Result<String, String> {
    use std::ffi::CStr;
    const LIB: &CStr = c"libcuda.so.1";
    const SYM: &CStr = c"cuDriverGetVersion";
    // SAFETY: dlopen/dlsym with valid NUL-terminated names; the symbol has the documented C
    // signature `CUresult cuDriverGetVersion(int*)`. The library stays loaded (no dlclose), as
    // libcuda does not support being unloaded.
    unsafe {
        let handle = libc::dlopen(LIB.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        if handle.is_null() {
            return Err("libcuda.so.1 not loadable (no CUDA driver)".into());
        }
        let sym = libc::dlsym(handle, SYM.as_ptr());
        if sym.is_null() {
            return Err("libcuda.so.1 has no cuDriverGetVersion".into());
        }
        let f = std::mem::transmute::<*mut libc::c_void, unsafe extern "C" fn(*mut libc::c_int) -> libc::c_int>(sym);
        let mut v: libc::c_int = 0;
        let rc = f(&mut v);
        if rc != 0 || v <= 0 {
            return Err(format!("cuDriverGetVersion failed (CUresult {rc})"));
        }
        Ok(format_cuda_version(v))
    }
}

/// `cuDriverGetVersion` is only looked up on Unix.
#[cfg(not(unix))]
pub fn cuda_driver_version_from_libcuda() -> Result<String, String> {
    Err("libcuda lookup is implemented on Unix only".into())
}

/// NVML's CUDA driver version (`12040`) as `12.4`.
pub fn format_cuda_version(version: i32) -> String {
    format!("{}.{}", version / 1000, (version % 1000) / 10)
}
