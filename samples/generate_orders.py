#!/usr/bin/env python3
"""Writes samples/orders.csv: a shop's order export for the `labels` job.

Destinations are rows of samples/addresses.csv that the sandbox confirms (public addresses,
555-01xx phone numbers). Weights are in ounces and dimensions in inches, as the job file's
[units] table declares. Orders 1053 and 1054 are identical on purpose: two identical orders are
two labels.
"""

import csv
import pathlib
import random

HERE = pathlib.Path(__file__).parent
# Rows of addresses.csv that are invalid on purpose or that the sandbox does not confirm.
SKIP = {
    "A0013", "A0020", "A0054", "A0072", "A0078", "A0090", "A0118", "A0125", "A0129", "A0140",
    "A0171", "A0185", "A0199", "A0233", "A0234", "A0241",
}
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Dennis"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Ritchie"]
PRODUCTS = [
    ("MUG-01", 14, (6, 6, 6)),
    ("TEE-M", 7, (10, 8, 2)),
    ("BOOK-HC", 30, (12, 9, 3)),
    ("LAMP-S", 52, (14, 10, 10)),
    ("POSTER", 9, (24, 4, 4)),
]
METHODS = ["USPS Ground Advantage", "Priority Mail", "USPS Ground Advantage"]


def main() -> None:
    rng = random.Random(20261204)
    with open(HERE / "addresses.csv", newline="", encoding="utf-8") as source:
        rows = [
            row for row in csv.DictReader(source)
            if row["id"] not in SKIP and len(row["zip"]) >= 5 and row["city"] and row["state"]
            and not row["state"] in {"AA", "AE", "AP"}
        ]
    header = [
        "order_id", "created_at", "email", "shipping_first_name", "shipping_last_name",
        "shipping_company", "shipping_address1", "shipping_address2", "shipping_city",
        "shipping_province", "shipping_zip", "shipping_phone", "sku", "quantity", "weight",
        "length", "width", "height", "shipping_method",
    ]
    orders = []
    for number, row in enumerate(rows[:53], start=1001):
        sku, ounces, (length, width, height) = rng.choice(PRODUCTS)
        quantity = rng.choice([1, 1, 1, 2])
        first, last = rng.choice(FIRST), rng.choice(LAST)
        orders.append([
            f"#{number}", "2026-12-03T14:%02d:00-05:00" % (number % 60),
            f"{first.lower()}.{last.lower()}@example.com", first, last, row["name"],
            row["address1"], row["address2"], row["city"], row["state"], row["zip"],
            row["phone"], sku, quantity, ounces * quantity, length, width, height * quantity,
            rng.choice(METHODS),
        ])
    twin = list(orders[-1])
    twin[0] = "#1054"
    orders.append(twin)
    with open(HERE / "orders.csv", "w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target)
        writer.writerow(header)
        writer.writerows(orders)
    print(f"wrote {len(orders)} orders to {HERE / 'orders.csv'}")


if __name__ == "__main__":
    main()
