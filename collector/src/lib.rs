//! # edgebench collector
//!
//! Will measure any GGUF model on the device it runs on, through llama.cpp (`llama-cpp-2`), and
//! write every run into the dataset through [`edgebench_dataset`]'s store: one fresh worker
//! process per repetition, a telemetry sampler beside it, crash isolation and resume.
//!
//! Nothing is built here yet: the `collect` binary and its `collect run` command arrive with the
//! collector issue. Until then this crate deliberately exposes nothing, so that no command can
//! pretend to measure. The llama.cpp dependency will live in this crate only, so that reading the
//! dataset and building the report never need a C++ toolchain.
