//! `<job>.shipments.csv`: the total of each multi-piece shipment of a price job.
//!
//! A price row is one piece. When the manifest maps `shipmentId`, the rows that share a value
//! are the pieces of one shipment, and the shipment's total is the sum of their
//! `usps_total_price`. A shipment is priced only when every piece has a price. Otherwise its
//! status is `incomplete_quote` and it names the pieces without one, so that a partial sum is
//! never reported as the shipment's total.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::kinds::{Kind, RowOutcome};
use crate::manifest::ColumnMap;
use crate::output::atomic::AtomicFile;
use crate::output::csv_safe::neutralize;

/// Manifest field that groups pieces into shipments.
pub const SHIPMENT_FIELD: &str = "shipmentId";
/// Result column that contains a piece's price.
const PRICE_COLUMN: &str = "usps_total_price";

/// Columns of `<job>.shipments.csv`.
pub const SHIPMENT_COLUMNS: &[&str] = &[
    "shipment_id",
    "pieces",
    "priced_pieces",
    "usps_status",
    "usps_total_price",
    "unpriced_pieces",
];

/// One shipment's pieces so far.
struct Shipment {
    id: String,
    pieces: u64,
    total: Decimal,
    /// Pieces without a price, as `row 12 (S0012)`.
    unpriced: Vec<String>,
}

/// Shipment totals, gathered row by row while the enriched output is written.
pub struct ShipmentTotals {
    price_index: usize,
    /// Shipments in order of their first piece.
    shipments: Vec<Shipment>,
    index: HashMap<String, usize>,
}

impl ShipmentTotals {
    /// Starts the totals of a job whose kind reports a price per row and whose manifest
    /// maps `shipmentId`; `None` for any other job.
    pub fn for_job(kind: &dyn Kind, columns: &ColumnMap) -> Option<ShipmentTotals> {
        columns.column_name(SHIPMENT_FIELD)?;
        let price_index = kind
            .result_columns()
            .iter()
            .position(|column| *column == PRICE_COLUMN)?;
        Some(ShipmentTotals {
            price_index,
            shipments: Vec::new(),
            index: HashMap::new(),
        })
    }

    /// Adds one piece of `shipment`: its record number, its id if any, and its outcome.
    pub fn add(&mut self, shipment: &str, row: u64, id: Option<&str>, outcome: &RowOutcome) {
        let position = match self.index.get(shipment) {
            Some(position) => *position,
            None => {
                self.shipments.push(Shipment {
                    id: shipment.to_owned(),
                    pieces: 0,
                    total: Decimal::ZERO,
                    unpriced: Vec::new(),
                });
                self.index
                    .insert(shipment.to_owned(), self.shipments.len() - 1);
                self.shipments.len() - 1
            }
        };
        let entry = &mut self.shipments[position];
        entry.pieces += 1;
        let price = outcome
            .status
            .is_success()
            .then(|| outcome.values.get(self.price_index))
            .flatten()
            .and_then(|text| Decimal::from_str(text).ok());
        match price {
            Some(price) => entry.total += price,
            None => entry.unpriced.push(match id {
                Some(id) => format!("row {row} ({id})"),
                None => format!("row {row}"),
            }),
        }
    }

    /// Writes `<job>.shipments.csv`, one line per shipment in order of its first piece.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let file = AtomicFile::create(path).map_err(|error| error.to_string())?;
        let mut writer = csv::Writer::from_writer(file);
        writer
            .write_record(SHIPMENT_COLUMNS)
            .map_err(|error| error.to_string())?;
        for shipment in &self.shipments {
            let complete = shipment.unpriced.is_empty();
            let priced = shipment.pieces - shipment.unpriced.len() as u64;
            let mut total = shipment.total;
            total.rescale(2);
            let record = [
                neutralize(&shipment.id).into_owned(),
                shipment.pieces.to_string(),
                priced.to_string(),
                if complete { "ok" } else { "incomplete_quote" }.to_owned(),
                if complete {
                    total.to_string()
                } else {
                    String::new()
                },
                shipment.unpriced.join("; "),
            ];
            writer
                .write_record(&record)
                .map_err(|error| error.to_string())?;
        }
        let file = writer.into_inner().map_err(|error| error.to_string())?;
        file.commit().map_err(|error| error.to_string())
    }
}
