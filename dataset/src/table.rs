//! What the store and the validator need to know about a row type, beyond its schema.

use serde::{Serialize, de::DeserializeOwned};

use crate::ids::{self, float_key};
use crate::schema::v1::{Generation, Kernel, Microbench, Published, Run};
use crate::schema::{Sha256Hex, TableSchema};
use crate::validate::rules::{self, Checker, Issue};

/// A row type of the dataset.
pub trait Table: Serialize + DeserializeOwned + Clone + Send + 'static {
    fn schema() -> &'static TableSchema;
    /// The stored row id.
    fn id(&self) -> &Sha256Hex;
    /// The identifying fields, in order; the row id is their hash.
    fn identity(&self) -> Vec<(&'static str, Option<String>)>;
    /// Label whose slug names the `device=` partition.
    fn device_label(&self) -> &str;
    /// Label whose slug names the `model=` partition (`None`: `model=no-model`).
    fn model_label(&self) -> Option<&str>;
    /// Plausibility rules for this row alone (see [`crate::validate::rules`]).
    fn check(&self, out: &mut Vec<Issue>);
    /// The row's `schema_version` column.
    fn schema_version(&self) -> &str;
    /// Sets `schema_version` (the store upgrades rows it rewrites to the current version).
    fn set_schema_version(&mut self, version: &str);

    /// The id this row should have.
    fn compute_id(&self) -> Sha256Hex {
        ids::row_id(Self::schema().name, &self.identity())
    }

    /// `(device slug, model slug)` of the partition the row belongs in.
    fn partition(&self) -> (String, String) {
        (
            ids::slug(self.device_label()),
            self.model_label().map(ids::slug).unwrap_or_else(|| ids::NO_MODEL.to_owned()),
        )
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

impl Table for Run {
    fn schema_version(&self) -> &str {
        &self.schema_version
    }
    fn set_schema_version(&mut self, version: &str) {
        version.clone_into(&mut self.schema_version);
    }
    fn check(&self, out: &mut Vec<Issue>) {
        rules::check_run(self, &mut Checker::new(out));
    }
    fn schema() -> &'static TableSchema {
        Run::SCHEMA
    }
    fn id(&self) -> &Sha256Hex {
        &self.run_id
    }
    fn identity(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("device_label", s(&self.device_label)),
            ("power_mode", self.power_mode.clone()),
            ("backend", s(self.backend.as_str())),
            ("model_sha256", s(self.model_sha256.as_str())),
            ("run_config_sha256", s(self.run_config_sha256.as_str())),
            ("host_fingerprint_sha256", s(self.host_fingerprint_sha256.as_str())),
            ("repetition", Some(self.repetition.to_string())),
        ]
    }
    fn device_label(&self) -> &str {
        &self.device_label
    }
    fn model_label(&self) -> Option<&str> {
        Some(&self.model_name)
    }
}

impl Table for Generation {
    fn schema_version(&self) -> &str {
        &self.schema_version
    }
    fn set_schema_version(&mut self, version: &str) {
        version.clone_into(&mut self.schema_version);
    }
    fn check(&self, out: &mut Vec<Issue>) {
        rules::check_generation(self, &mut Checker::new(out));
    }
    fn schema() -> &'static TableSchema {
        Generation::SCHEMA
    }
    fn id(&self) -> &Sha256Hex {
        &self.generation_id
    }
    fn identity(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("run_id", s(self.run_id.as_str())),
            ("prompt_index", Some(self.prompt_index.to_string())),
        ]
    }
    fn device_label(&self) -> &str {
        &self.device_label
    }
    fn model_label(&self) -> Option<&str> {
        Some(&self.model_name)
    }
}

impl Table for Kernel {
    fn schema_version(&self) -> &str {
        &self.schema_version
    }
    fn set_schema_version(&mut self, version: &str) {
        version.clone_into(&mut self.schema_version);
    }
    fn check(&self, out: &mut Vec<Issue>) {
        rules::check_kernel(self, &mut Checker::new(out));
    }
    fn schema() -> &'static TableSchema {
        Kernel::SCHEMA
    }
    fn id(&self) -> &Sha256Hex {
        &self.kernel_id
    }
    fn identity(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("capture_id", s(self.capture_id.as_str())),
            ("kernel_name", s(&self.kernel_name)),
        ]
    }
    fn device_label(&self) -> &str {
        &self.device_label
    }
    fn model_label(&self) -> Option<&str> {
        Some(&self.model_name)
    }
}

impl Table for Microbench {
    fn schema_version(&self) -> &str {
        &self.schema_version
    }
    fn set_schema_version(&mut self, version: &str) {
        version.clone_into(&mut self.schema_version);
    }
    fn check(&self, out: &mut Vec<Issue>) {
        rules::check_microbench(self, &mut Checker::new(out));
    }
    fn schema() -> &'static TableSchema {
        Microbench::SCHEMA
    }
    fn id(&self) -> &Sha256Hex {
        &self.microbench_id
    }
    fn identity(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("device_label", s(&self.device_label)),
            ("power_mode", self.power_mode.clone()),
            ("backend", s(self.backend.as_str())),
            ("host_fingerprint_sha256", s(self.host_fingerprint_sha256.as_str())),
            ("experiment", s(&self.experiment)),
            ("variant", s(self.variant.as_str())),
            ("dtype", s(&self.dtype)),
            ("elements", Some(self.elements.to_string())),
            ("repetition", Some(self.repetition.to_string())),
        ]
    }
    fn device_label(&self) -> &str {
        &self.device_label
    }
    fn model_label(&self) -> Option<&str> {
        None
    }
}

impl Table for Published {
    fn schema_version(&self) -> &str {
        &self.schema_version
    }
    fn set_schema_version(&mut self, version: &str) {
        version.clone_into(&mut self.schema_version);
    }
    fn check(&self, out: &mut Vec<Issue>) {
        rules::check_published(self, &mut Checker::new(out));
    }
    fn schema() -> &'static TableSchema {
        Published::SCHEMA
    }
    fn id(&self) -> &Sha256Hex {
        &self.published_id
    }
    fn identity(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("citation_key", s(&self.citation_key)),
            ("section", s(&self.section)),
            ("metric", s(&self.metric)),
            ("device_label", s(&self.device_label)),
            ("backend", self.backend.map(|b| b.as_str().to_owned())),
            ("power_mode", self.power_mode.clone()),
            ("model_name", self.model_name.clone()),
            ("op_class", self.op_class.map(|c| c.as_str().to_owned())),
            ("value", Some(float_key(self.value))),
            ("quote", s(&self.quote)),
        ]
    }
    fn device_label(&self) -> &str {
        &self.device_label
    }
    fn model_label(&self) -> Option<&str> {
        self.model_name.as_deref()
    }
}
