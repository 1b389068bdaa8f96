#!/usr/bin/env python3
"""Write samples/shipments.csv: a shop's shipment export for the domestic-price kind.

Weights are in ounces and dimensions in inches, as jobs/domestic-prices.toml declares in
its [units] table. The rows are generated from a fixed seed, so reruns write the same file.
"""

import csv
import random
from pathlib import Path

ORIGINS = ["22407", "63118", "80202"]
DESTINATIONS = [
    ("10001", "New York", "NY"), ("19103", "Philadelphia", "PA"), ("02134", "Boston", "MA"),
    ("20007", "Washington", "DC"), ("33130", "Miami", "FL"), ("60601", "Chicago", "IL"),
    ("75201", "Dallas", "TX"), ("85004", "Phoenix", "AZ"), ("94105", "San Francisco", "CA"),
    ("98101", "Seattle", "WA"), ("97201", "Portland", "OR"), ("55401", "Minneapolis", "MN"),
    ("30303", "Atlanta", "GA"), ("78701", "Austin", "TX"), ("04101", "Portland", "ME"),
    ("37203", "Nashville", "TN"), ("70112", "New Orleans", "LA"), ("48226", "Detroit", "MI"),
    ("84101", "Salt Lake City", "UT"), ("99501", "Anchorage", "AK"), ("96813", "Honolulu", "HI"),
    ("00901", "San Juan", "PR"), ("96910", "Hagatna", "GU"), ("00802", "St Thomas", "VI"),
    ("09001", "APO", "AE"), ("96201", "APO", "AP"),
]
SERVICES = [
    "USPS Ground Advantage", "USPS Ground Advantage", "Priority Mail", "Priority Mail",
    "Priority Mail Express", "Parcel Select", "Media Mail",
]
BOXES = [("", "", ""), ("", "", ""), ("10", "8", "4"), ("12", "9", "6"), ("20", "12", "12")]
WEIGHTS_OZ = ["3", "8", "12", "15.5", "16", "24", "40", "64", "100", "320"]
HEADER = [
    "order_id", "order_date", "ship_to_name", "ship_to_city", "ship_to_state", "from_zip",
    "to_zip", "weight", "length", "width", "height", "service", "processing_category",
    "ship_date",
]

# Rows that fail on purpose, with the reason, after the generated ones.
INVALID = [
    ("22407", "10001", "0", "", "", "", "Priority Mail", "", "", "weight zero"),
    ("22407", "10001", "abc", "", "", "", "Priority Mail", "", "", "weight not a number"),
    ("22407", "10001", "3 oz", "", "", "", "Priority Mail", "", "", "unit in the cell"),
    ("22407", "60601", "12", "10", "", "4", "Priority Mail", "", "", "partial dimensions"),
    ("22407", "60601", "12", "", "", "", "Parcel Select", "LETTERS", "", "letters by Parcel Select"),
    ("22407", "60601", "12", "", "", "", "USPS Ground Advantage", "LETTERS", "", "letters by Ground Advantage"),
    ("22407", "60601", "12", "", "", "", "Overnight Air", "", "", "unknown service"),
    ("22407", "1234", "12", "", "", "", "Priority Mail", "", "", "ZIP Code too short"),
    ("22407", "60601", "1200", "", "", "", "Priority Mail", "", "", "75 lb, over 70 lb"),
    ("22407", "60601", "40", "40", "30", "20", "Priority Mail", "", "", "length plus girth 140 in"),
]


def main() -> None:
    rng = random.Random(7)
    rows = []
    for number in range(1, 101):
        origin = rng.choice(ORIGINS)
        zip_code, city, state = rng.choice(DESTINATIONS)
        service = rng.choice(SERVICES)
        length, width, height = rng.choice(BOXES)
        weight = rng.choice(WEIGHTS_OZ)
        # Some exports carry an old ship date; the runner moves it to today.
        ship_date = "2025-11-28" if number % 17 == 0 else ""
        rows.append([
            f"S{number:04d}", "2025-11-27", f"Customer {number}", city, state, origin,
            zip_code, weight, length, width, height, service, "", ship_date,
        ])
    # Repeat orders: identical shipments that share one call.
    for number, source in zip(range(101, 106), (1, 2, 3, 4, 5)):
        row = list(rows[source - 1])
        row[0] = f"S{number:04d}"
        rows.append(row)
    for offset, (origin, dest, weight, length, width, height, service, category, date, _) in enumerate(INVALID):
        rows.append([
            f"S{106 + offset:04d}", "2025-11-27", "Customer invalid", "", "", origin, dest,
            weight, length, width, height, service, category, date,
        ])
    path = Path(__file__).with_name("shipments.csv")
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {path}")


if __name__ == "__main__":
    main()
