//! Outputs of a run: the enriched file, the error report, the summary and the progress
//! display.

pub mod atomic;
pub mod csv_safe;
pub mod progress;
pub mod report;
pub mod shipments;
pub mod summary;
pub mod time;
