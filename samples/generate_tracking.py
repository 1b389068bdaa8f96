#!/usr/bin/env python3
"""Write samples/tracking.csv: a shop's export of tracking numbers for the tracking kind.

The valid numbers carry correct check digits: IMpb numbers (22 digits, mod-10 check digit
weighted 3, 1, 3, ... from the right) and international S10 numbers (mod-11 check digit
with weights 8, 6, 4, 2, 3, 5, 9, 7). In the sandbox, the two digits before the check digit
choose each number's history (see docs/sandbox.md), and the generator cycles through them so
that the sample meets every case. The invalid rows at the end fail the runner's local checks.
Reruns write the same file.
"""

import csv
from pathlib import Path

S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7]
# Scenario digits: 00-04 not yet available, 05-07 another shipper's number, 08-19 label
# created, 20-39 accepted, 40-59 in transit, 60-69 out for delivery, 70-99 delivered.
SCENARIO_DIGITS = [2, 6, 12, 25, 47, 63, 88, 91, 75, 33, 51, 80]
DESTINATIONS = ["", "62701", "", "10001", "", "94105", "", "33130"]
HEADER = ["order_id", "tracking_number", "ship_date", "destination_zip"]


def impb_check_digit(digits: str) -> int:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def impb(serial: int, scenario: int) -> str:
    body = f"94001{serial:014d}{scenario:02d}"
    return body + str(impb_check_digit(body))


def s10_check_digit(serial: str) -> int:
    digit = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS)) % 11
    return {10: 0, 11: 5}.get(digit, digit)


def s10(prefix: str, serial: int, scenario: int, country: str = "US") -> str:
    digits = f"{serial:06d}{scenario:02d}"
    return f"{prefix}{digits}{s10_check_digit(digits)}{country}"


def rows():
    out = []
    for index in range(90):
        scenario = SCENARIO_DIGITS[index % len(SCENARIO_DIGITS)]
        number = impb(48213000 + index * 7, scenario)
        if index % 10 == 4:
            # Written with spaces, as printed on a label.
            number = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        destination = DESTINATIONS[index % len(DESTINATIONS)]
        ship_date = "" if index % 3 else f"2026-06-{1 + index % 28:02d}"
        out.append([number, ship_date, destination])
    # The same parcel listed twice shares one lookup.
    out.append([out[6][0], out[6][1], out[6][2]])
    # The full barcode, led by the 420 routing code and the destination ZIP Code.
    out.append(["42062701" + impb(77100001, 91), "", "62701"])
    out.append(["420100011234" + impb(77100002, 47), "", "10001"])
    for serial, scenario in [(1234, 78), (5521, 40), (9001, 3)]:
        out.append([s10("EA", serial, scenario), "", ""])
    # Invalid on purpose: a wrong IMpb check digit, a missing digit, a wrong S10 check digit,
    # another carrier's format, an empty cell and a bad ship date.
    good = impb(48299999, 88)
    out.append([good[:-1] + str((int(good[-1]) + 1) % 10), "", ""])
    out.append([impb(48299998, 47)[:-3], "", ""])
    bad_s10 = s10("EA", 4321, 55)
    out.append([bad_s10[:10] + str((int(bad_s10[10]) + 1) % 10) + bad_s10[11:], "", ""])
    out.append(["1Z999AA10123456784", "", ""])
    out.append(["", "", ""])
    out.append([impb(48299997, 91), "06/01/2026", ""])
    return out


def main():
    path = Path(__file__).with_name("tracking.csv")
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(HEADER)
        for index, (number, ship_date, destination) in enumerate(rows(), start=1):
            writer.writerow([f"T{index:04d}", number, ship_date, destination])
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
