#!/usr/bin/env python3
"""Write samples/international.csv and samples/packages.csv from a fixed seed.

international.csv feeds jobs/international-prices.toml (grams and centimetres);
packages.csv feeds jobs/rate-shop.toml and jobs/shipping-options.toml (ounces
and inches). Rows that the tests check by id come first and do not depend on
the seed; the invalid rows come last. See samples/README.md for each row.
"""

import random
from pathlib import Path

HERE = Path(__file__).resolve().parent


def international_rows():
    rng = random.Random(7)
    rows = [
        "10001,CA,K1A 0B1,1360,,,,Priority Mail International,,,",
        "10001,Canada,m5v2t6,340,,,,First-Class Package International Service,,,",
        "60601,Germany,10115,2000,30,20,15,Priority Mail International,,,",
        "90210,JP,100-0001,500,,,,Priority Mail International,FS,COMMERCIAL_BASE,",
        "22407,United Kingdom,SW1A 1AA,250,,,,FIRST-CLASS_PACKAGE_INTERNATIONAL_SERVICE,,,",
        "63118,MX,06600,5000,40,30,30,Priority Mail Express International,,,",
        "10001,CA,K1A 0B1,1360,,,,Priority Mail International,,,",
    ]
    countries = [
        ("FR", "75001"), ("France", "75008"), ("AU", "2000"), ("Australia", "3000"),
        ("NZ", "6011"), ("BR", "01310-100"), ("IN", "110001"), ("ZA", "8001"),
        ("IE", "D02 X285"), ("NL", "1012 AB"), ("Spain", "28001"), ("IT", "00184"),
        ("KR", "04524"), ("SG", "018956"), ("Israel", "6100000"), ("AE", ""),
        ("Jamaica", ""), ("CR", "10101"), ("Sweden", "111 20"), ("CH", "8001"),
    ]
    services = [
        ("Priority Mail International", ""),
        ("First-Class Package International Service", ""),
        ("Priority Mail Express International", ""),
        ("Priority Mail International", "FE"),
        ("Priority Mail International", "FB"),
        ("Priority Mail Express International", "E4"),
    ]
    origins = ["10001", "60601", "90210", "22407", "63118", "80202", "33130"]
    for country, postal in countries:
        service, indicator = rng.choice(services)
        if service.startswith("First"):
            grams = rng.choice([120, 250, 450, 900, 1500])
        elif indicator in ("FE", "E4"):
            grams = rng.choice([200, 400, 900])
        elif indicator == "FB":
            grams = rng.choice([1500, 3000, 6000])
        else:
            grams = rng.choice([700, 1200, 2500, 4000, 9000])
        dims = rng.choice(["", "", "25,20,10", "35,25,15"])
        # Flat rate containers and small First-Class pieces carry no dimensions.
        if indicator or service.startswith("First") and dims == "35,25,15":
            dims = ""
        length, width, height = dims.split(",") if dims else ["", "", ""]
        price_type = rng.choice(["", "", "COMMERCIAL_BASE"])
        rows.append(
            f"{rng.choice(origins)},{country},{postal},{grams},{length},{width},{height},"
            f"{service},{indicator},{price_type},"
        )
    rows += [
        "10001,Atlantis,,500,,,,Priority Mail International,,,",
        "10001,Puerto Rico,00901,500,,,,Priority Mail International,,,",
        "10001,CA,12345,500,,,,Priority Mail International,,,",
        "10001,CA,K1A 0B1,2000,,,,First-Class Package International Service,,,",
        "10001,DE,10115,500,,,,Priority Mail International,PA,,",
        "10001,DE,10115,500,,,,Global Express Guaranteed,,,",
        "10001,Korea,,500,,,,Priority Mail International,,,",
        "10001,DE,10115,0,,,,Priority Mail International,,,",
        "10001,KP,,500,,,,Priority Mail International,,,",
        "10001,FR,75001,3000,120,40,30,Priority Mail International,,,",
    ]
    header = (
        "order_id,from_zip,country,postal_code,weight,length,width,height,service,"
        "rate_indicator,price_type,ship_date"
    )
    return header, [f"I{index:04d},{row}" for index, row in enumerate(rows, 1)]


def package_rows():
    rng = random.Random(11)
    pairs = [
        ("10001", "19103"), ("10001", "90210"), ("63118", "33130"), ("80202", "20007"),
        ("80202", "75201"), ("22407", "48226"), ("63118", "60601"), ("80202", "84101"),
        ("22407", "99501"), ("63118", "00901"), ("10001", "02134"), ("80202", "97201"),
    ]
    rows = [
        "10001,19103,48,10,8,4,,",
        "10001,19103,48,10,8,4,,1",
        "10001,90210,48,10,8,4,,2",
        "10001,90210,48,10,8,4,,1",
        "10001,19103,48,10,8,4,2099-12-31,",
    ]
    for _ in range(25):
        origin, destination = rng.choice(pairs)
        ounces = rng.choice([4, 8, 12, 16, 32, 48, 80, 160])
        length, width, height = rng.choice(
            [(6, 4, 2), (10, 8, 4), (12, 9, 6), (14, 10, 8), (18, 12, 10)]
        )
        max_days = rng.choice(["", "", "2", "3", "4", "5"])
        rows.append(
            f"{origin},{destination},{ounces},{length},{width},{height},,{max_days}"
        )
    rows += [
        "10001,19103,48,10,8,4,,2",
        "10001,19103,48,,,,,",
        "10001,19103,48,10,8,4,2099-12-31,3",
        "10001,19103,48,10,8,4,,abc",
        "10001,19103,48,10,8,4,,0",
        "10001,19103,0,10,8,4,,",
    ]
    header = "order_id,from_zip,to_zip,weight,length,width,height,deliver_by,max_days"
    return header, [f"P{index:04d},{row}" for index, row in enumerate(rows, 1)]


def write(name, header, rows):
    path = HERE / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(rows)} rows)")


if __name__ == "__main__":
    write("international.csv", *international_rows())
    write("packages.csv", *package_rows())
