//! # edgebench collector
//!
//! Measures GGUF models on the device it runs on, through llama.cpp (`llama-cpp-2`), and writes
//! every run into the dataset through [`edgebench_dataset`]'s store.

pub mod campaign;
pub mod device_state;
pub mod synth;
pub mod fusion;
pub mod host;
pub mod llama_cmake;
pub mod model_file;
pub mod page_cache;
pub mod profile;
pub mod prompts;
pub mod provenance;
pub mod repetitions;
pub mod score;
pub mod telemetry;
pub mod worker;
pub mod worker_process;
