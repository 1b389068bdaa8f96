//! Outputs of a run: the enriched file, the error report, the summary, the progress
//! display, and the label files of label jobs.

pub mod atomic;
pub mod csv_safe;
pub mod file_names;
pub mod labels;
pub mod progress;
pub mod report;
pub mod shipments;
pub mod summary;
pub mod time;
