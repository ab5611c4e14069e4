//! The closed sets of values that columns of schema v1 take (back-ends, statuses, profilers...).
//! Each is stored as UTF-8 text and checked by the validator against its list; the list appears in
//! the data dictionary and the JSON Schema files.

use crate::string_enum;

string_enum! {
    /// llama.cpp back-end that ran the model.
    pub enum Backend {
        Cpu = "cpu",
        Cuda = "cuda",
        Metal = "metal",
        Vulkan = "vulkan",
    }
}

string_enum! {
    /// How one run (one worker process) ended.
    pub enum RunStatus {
        /// The model loaded and every prompt was attempted.
        Ok = "ok",
        /// The model could not be loaded (missing, truncated, unsupported file...).
        LoadFailed = "load_failed",
        /// The worker exited abnormally (signal or non-zero exit) for a reason other than memory.
        Crashed = "crashed",
        /// The worker was killed by the out-of-memory killer.
        OomKilled = "oom_killed",
        /// The worker exceeded its time limit and was killed.
        TimedOut = "timed_out",
    }
}

string_enum! {
    /// Whether a prompt was generated to completion.
    pub enum GenerationStatus {
        Ok = "ok",
        Failed = "failed",
    }
}

string_enum! {
    /// Why generation stopped.
    pub enum StopReason {
        /// The model sampled an end-of-generation token.
        Eos = "eos",
        /// The output reached the configured maximum number of tokens.
        MaxTokens = "max_tokens",
        /// The context window was full.
        ContextFull = "context_full",
    }
}

string_enum! {
    /// Named measurement protocol of a run.
    pub enum Protocol {
        /// The paper's protocol: 50 prompts, zero-shot CoT, batch 1, 15 repetitions, greedy.
        Paper = "paper",
        /// A short smoke protocol for quick checks.
        Quick = "quick",
        /// Any other combination of options.
        Custom = "custom",
    }
}

string_enum! {
    /// Whether GPU memory is dedicated VRAM or memory shared with the CPU (Jetson, Apple).
    pub enum MemoryKind {
        Dedicated = "dedicated",
        Unified = "unified",
    }
}

string_enum! {
    /// Profiler that produced a kernel row.
    pub enum ProfileTool {
        Nsys = "nsys",
        Ncu = "ncu",
        Torch = "torch",
        GgmlOp = "ggml_op",
    }
}

string_enum! {
    /// Class of a GPU kernel or ggml op.
    pub enum OpClass {
        Gemm = "gemm",
        Gemv = "gemv",
        Attention = "attention",
        Norm = "norm",
        Rope = "rope",
        Elementwise = "elementwise",
        Quantize = "quantize",
        Memory = "memory",
        Misc = "misc",
        /// A kernel name that no rule of the class table matches.
        Other = "other",
    }
}

string_enum! {
    /// Phase of inference a profile capture covers.
    pub enum Phase {
        /// The prompt's decode calls (many token columns per matrix product).
        Prefill = "prefill",
        /// One decode call per generated token (one token column per matrix product).
        Decode = "decode",
    }
}

string_enum! {
    /// Where the times of a kernel row come from.
    pub enum TimingSource {
        /// Host wall clock around one ggml graph node, from its launch to the back-end's
        /// synchronisation (the scheduler's eval callback): includes launch and synchronisation
        /// cost, and defeats ggml's op fusion.
        HostSynchronised = "host_synchronised",
        /// Device-side start and end timestamps of each kernel (CUPTI activity records, as read by
        /// Nsight Systems, the PyTorch profiler or the collector itself).
        DeviceActivity = "device_activity",
        /// Nsight Compute's `gpu__time_duration` under kernel replay (serialised, caches flushed
        /// between passes): comparable between kernels, not to wall time.
        NcuReplay = "ncu_replay",
    }
}

string_enum! {
    /// Variant of a micro-benchmark kernel.
    pub enum FusionVariant {
        Fused = "fused",
        Unfused = "unfused",
    }
}

string_enum! {
    /// Where a model's weights come from.
    pub enum WeightsOrigin {
        /// The published weights of a trained model.
        Trained = "trained",
        /// Values drawn by `collect synth` into a trained model's architecture and shapes.
        Synthetic = "synthetic",
    }
}

string_enum! {
    /// How an energy value was obtained from its power source.
    pub enum EnergyMethod {
        /// Difference of the source's cumulative energy counter (RAPL, NVML on Volta and newer),
        /// interpolated at the window's edges.
        Counter = "counter",
        /// Trapezoid integral of the source's power samples (a source without a counter: INA3221,
        /// tegrastats, older NVML GPUs).
        PowerIntegral = "power_integral",
        /// Trapezoid integral of the power samples because the counter did not advance within the
        /// window (NVML's counter on some GPUs updates more slowly than a short generation lasts).
        PowerIntegralCounterTooCoarse = "power_integral_counter_too_coarse",
    }
}

string_enum! {
    /// What an adaptive repetition rule (`collect run --reps auto`) decided after a run.
    pub enum RepetitionDecision {
        /// The target was not met yet: another run followed (or would have).
        Continue = "continue",
        /// Every primary metric's median interval was within the target: the cell stopped.
        TargetMet = "target_met",
        /// The maximum number of runs was reached before the target.
        MaximumReached = "maximum_reached",
    }
}
