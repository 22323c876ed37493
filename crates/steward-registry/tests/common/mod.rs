//! Shared test helpers.

pub mod etcd;
