//! Abbreviation tables of USPS Publication 28 (Postal Addressing Standards): street suffixes
//! (appendix C1), secondary unit designators (appendix C2) and directionals.
//!
//! Each table maps every accepted spelling, the standard abbreviation included, to the
//! standard abbreviation. The suffix table is a selection of the common entries of C1, not
//! all of its roughly 200 suffixes.

/// Street suffixes: (standard abbreviation, full name, other spellings).
const SUFFIXES: &[(&str, &str, &[&str])] = &[
    ("ALY", "ALLEY", &["ALLEE", "ALLY"]),
    ("ANX", "ANNEX", &["ANEX", "ANNX"]),
    ("ARC", "ARCADE", &[]),
    ("AVE", "AVENUE", &["AV", "AVEN", "AVENU", "AVN", "AVNUE"]),
    ("BYU", "BAYOU", &["BAYOO"]),
    ("BCH", "BEACH", &[]),
    ("BND", "BEND", &[]),
    ("BLF", "BLUFF", &["BLUF"]),
    ("BTM", "BOTTOM", &["BOT", "BOTTM"]),
    ("BLVD", "BOULEVARD", &["BOUL", "BOULV"]),
    ("BR", "BRANCH", &["BRNCH"]),
    ("BRG", "BRIDGE", &["BRDGE"]),
    ("BRK", "BROOK", &[]),
    ("BYP", "BYPASS", &["BYPA", "BYPAS", "BYPS"]),
    ("CP", "CAMP", &["CMP"]),
    ("CYN", "CANYON", &["CANYN", "CNYN"]),
    ("CPE", "CAPE", &[]),
    ("CSWY", "CAUSEWAY", &["CAUSWA"]),
    (
        "CTR",
        "CENTER",
        &["CEN", "CENT", "CENTR", "CENTRE", "CNTER", "CNTR"],
    ),
    ("CIR", "CIRCLE", &["CIRC", "CIRCL", "CRCL", "CRCLE"]),
    ("CLF", "CLIFF", &[]),
    ("CLFS", "CLIFFS", &[]),
    ("CLB", "CLUB", &[]),
    ("CMN", "COMMON", &[]),
    ("COR", "CORNER", &[]),
    ("CORS", "CORNERS", &[]),
    ("CRSE", "COURSE", &[]),
    ("CT", "COURT", &[]),
    ("CTS", "COURTS", &[]),
    ("CV", "COVE", &[]),
    ("CRK", "CREEK", &[]),
    ("CRES", "CRESCENT", &["CRSENT", "CRSNT"]),
    ("CRST", "CREST", &[]),
    ("XING", "CROSSING", &["CRSSNG"]),
    ("XRD", "CROSSROAD", &[]),
    ("CURV", "CURVE", &[]),
    ("DL", "DALE", &[]),
    ("DM", "DAM", &[]),
    ("DV", "DIVIDE", &["DIV", "DVD"]),
    ("DR", "DRIVE", &["DRIV", "DRV"]),
    ("EST", "ESTATE", &[]),
    ("ESTS", "ESTATES", &[]),
    ("EXPY", "EXPRESSWAY", &["EXP", "EXPR", "EXPRESS", "EXPW"]),
    ("EXT", "EXTENSION", &["EXTN", "EXTNSN"]),
    ("FLS", "FALLS", &[]),
    ("FRY", "FERRY", &["FRRY"]),
    ("FLD", "FIELD", &[]),
    ("FLDS", "FIELDS", &[]),
    ("FLT", "FLAT", &[]),
    ("FRD", "FORD", &[]),
    ("FRST", "FOREST", &["FORESTS"]),
    ("FRG", "FORGE", &["FORG"]),
    ("FRK", "FORK", &[]),
    ("FT", "FORT", &["FRT"]),
    ("FWY", "FREEWAY", &["FREEWY", "FRWAY", "FRWY"]),
    ("GDN", "GARDEN", &["GARDN", "GRDEN", "GRDN"]),
    ("GDNS", "GARDENS", &["GRDNS"]),
    ("GTWY", "GATEWAY", &["GATEWY", "GATWAY", "GTWAY"]),
    ("GLN", "GLEN", &[]),
    ("GRN", "GREEN", &[]),
    ("GRV", "GROVE", &["GROV"]),
    ("HBR", "HARBOR", &["HARB", "HARBR", "HRBOR"]),
    ("HVN", "HAVEN", &[]),
    ("HTS", "HEIGHTS", &["HT"]),
    ("HWY", "HIGHWAY", &["HIGHWY", "HIWAY", "HIWY", "HWAY"]),
    ("HL", "HILL", &[]),
    ("HLS", "HILLS", &[]),
    ("HOLW", "HOLLOW", &["HLLW", "HOLLOWS", "HOLWS"]),
    ("INLT", "INLET", &[]),
    ("IS", "ISLAND", &["ISLND"]),
    ("ISS", "ISLANDS", &["ISLNDS"]),
    ("JCT", "JUNCTION", &["JCTION", "JCTN", "JUNCTN", "JUNCTON"]),
    ("KY", "KEY", &[]),
    ("KNL", "KNOLL", &["KNOL"]),
    ("LK", "LAKE", &[]),
    ("LKS", "LAKES", &[]),
    ("LNDG", "LANDING", &["LNDNG"]),
    ("LN", "LANE", &[]),
    ("LGT", "LIGHT", &[]),
    ("LOOP", "LOOP", &["LOOPS"]),
    ("MALL", "MALL", &[]),
    ("MNR", "MANOR", &[]),
    ("MDW", "MEADOW", &[]),
    ("MDWS", "MEADOWS", &["MEDOWS"]),
    ("ML", "MILL", &[]),
    ("MSN", "MISSION", &["MISSN", "MSSN"]),
    ("MTWY", "MOTORWAY", &[]),
    ("MT", "MOUNT", &["MNT"]),
    ("MTN", "MOUNTAIN", &["MNTAIN", "MNTN", "MOUNTIN", "MTIN"]),
    ("NCK", "NECK", &[]),
    ("ORCH", "ORCHARD", &["ORCHRD"]),
    ("OVAL", "OVAL", &["OVL"]),
    ("OPAS", "OVERPASS", &[]),
    ("PARK", "PARK", &["PRK"]),
    ("PKWY", "PARKWAY", &["PARKWY", "PKWAY", "PKY"]),
    ("PASS", "PASS", &[]),
    ("PSGE", "PASSAGE", &[]),
    ("PATH", "PATH", &["PATHS"]),
    ("PIKE", "PIKE", &["PIKES"]),
    ("PNES", "PINES", &[]),
    ("PL", "PLACE", &[]),
    ("PLN", "PLAIN", &[]),
    ("PLNS", "PLAINS", &[]),
    ("PLZ", "PLAZA", &["PLZA"]),
    ("PT", "POINT", &[]),
    ("PTS", "POINTS", &[]),
    ("PRT", "PORT", &[]),
    ("PR", "PRAIRIE", &["PRR"]),
    ("RADL", "RADIAL", &["RAD", "RADIEL"]),
    ("RNCH", "RANCH", &["RANCHES", "RNCHS"]),
    ("RPDS", "RAPIDS", &[]),
    ("RST", "REST", &[]),
    ("RDG", "RIDGE", &["RDGE"]),
    ("RIV", "RIVER", &["RVR", "RIVR"]),
    ("RD", "ROAD", &[]),
    ("RDS", "ROADS", &[]),
    ("RTE", "ROUTE", &[]),
    ("ROW", "ROW", &[]),
    ("RUN", "RUN", &[]),
    ("SHR", "SHORE", &[]),
    ("SHRS", "SHORES", &[]),
    ("SKWY", "SKYWAY", &[]),
    ("SPG", "SPRING", &["SPNG", "SPRNG"]),
    ("SPGS", "SPRINGS", &["SPNGS", "SPRNGS"]),
    ("SQ", "SQUARE", &["SQR", "SQRE", "SQU"]),
    ("STA", "STATION", &["STATN", "STN"]),
    ("STRM", "STREAM", &["STREME"]),
    ("ST", "STREET", &["STR", "STRT"]),
    ("STS", "STREETS", &[]),
    ("SMT", "SUMMIT", &["SUMIT", "SUMITT"]),
    ("TER", "TERRACE", &["TERR"]),
    ("TRCE", "TRACE", &["TRACES"]),
    ("TRAK", "TRACK", &["TRACKS", "TRK", "TRKS"]),
    ("TRL", "TRAIL", &["TRAILS", "TRLS"]),
    ("TUNL", "TUNNEL", &["TUNEL", "TUNLS", "TUNNELS", "TUNNL"]),
    ("TPKE", "TURNPIKE", &["TRNPK", "TURNPK"]),
    ("UPAS", "UNDERPASS", &[]),
    ("UN", "UNION", &[]),
    ("VLY", "VALLEY", &["VALLY", "VLLY"]),
    ("VIA", "VIADUCT", &["VDCT", "VIADCT"]),
    ("VW", "VIEW", &[]),
    ("VLG", "VILLAGE", &["VILL", "VILLAG", "VILLG"]),
    ("VL", "VILLE", &[]),
    ("VIS", "VISTA", &["VIST", "VST", "VSTA"]),
    ("WALK", "WALK", &["WALKS"]),
    ("WAY", "WAY", &["WY"]),
    ("WL", "WELL", &[]),
    ("WLS", "WELLS", &[]),
];

/// Suffixes that Publication 28 spells out when a number follows them, as in `HIGHWAY 75`,
/// `COUNTY ROAD 12` or `STATE ROUTE 5`.
const SPELLED_BEFORE_NUMBER: &[&str] = &["HWY", "RD", "RTE", "FWY", "EXPY", "TPKE", "PIKE"];

/// Secondary unit designators: (standard abbreviation, other spellings, whether a unit number
/// must follow). `#` is used when the designator is not known.
const UNIT_DESIGNATORS: &[(&str, &[&str], bool)] = &[
    ("APT", &["APARTMENT", "APPT", "APT"], true),
    ("BSMT", &["BASEMENT"], false),
    ("BLDG", &["BUILDING", "BLDNG", "BLD"], true),
    ("DEPT", &["DEPARTMENT"], true),
    ("FL", &["FLOOR", "FLR"], true),
    ("FRNT", &["FRONT"], false),
    ("HNGR", &["HANGAR", "HANGER"], true),
    ("LBBY", &["LOBBY"], false),
    ("LOT", &[], true),
    ("LOWR", &["LOWER"], false),
    ("OFC", &["OFFICE"], false),
    ("PH", &["PENTHOUSE"], false),
    ("PIER", &[], true),
    ("PMB", &[], true),
    ("REAR", &[], false),
    ("RM", &["ROOM"], true),
    ("SIDE", &[], false),
    ("SLIP", &[], true),
    ("SPC", &["SPACE"], true),
    ("STOP", &[], true),
    ("STE", &["SUITE", "SUIT"], true),
    ("TRLR", &["TRAILER"], true),
    ("UNIT", &[], true),
    ("UPPR", &["UPPER"], false),
    ("#", &[], true),
];

/// Directionals, spelled out and abbreviated.
const DIRECTIONALS: &[(&str, &str)] = &[
    ("N", "NORTH"),
    ("S", "SOUTH"),
    ("E", "EAST"),
    ("W", "WEST"),
    ("NE", "NORTHEAST"),
    ("NW", "NORTHWEST"),
    ("SE", "SOUTHEAST"),
    ("SW", "SOUTHWEST"),
];

/// Ordinal street names that Publication 28 writes as numbers (`FIRST ST` becomes `1ST ST`).
const ORDINALS: &[(&str, &str)] = &[
    ("FIRST", "1ST"),
    ("SECOND", "2ND"),
    ("THIRD", "3RD"),
    ("FOURTH", "4TH"),
    ("FIFTH", "5TH"),
    ("SIXTH", "6TH"),
    ("SEVENTH", "7TH"),
    ("EIGHTH", "8TH"),
    ("NINTH", "9TH"),
    ("TENTH", "10TH"),
    ("ELEVENTH", "11TH"),
    ("TWELFTH", "12TH"),
];

/// Returns the standard abbreviation of a street suffix, or `None` if `word` is not one.
pub fn suffix(word: &str) -> Option<&'static str> {
    SUFFIXES
        .iter()
        .find(|(abbreviation, full, others)| {
            *abbreviation == word || *full == word || others.contains(&word)
        })
        .map(|(abbreviation, _, _)| *abbreviation)
}

/// Returns the full name of a suffix that is spelled out before a number (`HWY` → `HIGHWAY`).
pub fn spelled_before_number(word: &str) -> Option<&'static str> {
    let abbreviation = suffix(word)?;
    if !SPELLED_BEFORE_NUMBER.contains(&abbreviation) {
        return None;
    }
    SUFFIXES
        .iter()
        .find(|(candidate, _, _)| *candidate == abbreviation)
        .map(|(_, full, _)| *full)
}

/// Returns the standard designator for `word` and whether a unit number must follow it.
pub fn unit_designator(word: &str) -> Option<(&'static str, bool)> {
    UNIT_DESIGNATORS
        .iter()
        .find(|(abbreviation, others, _)| *abbreviation == word || others.contains(&word))
        .map(|(abbreviation, _, needs_number)| (*abbreviation, *needs_number))
}

/// Returns the abbreviation of a directional word, spelled out or already abbreviated.
pub fn directional(word: &str) -> Option<&'static str> {
    DIRECTIONALS
        .iter()
        .find(|(abbreviation, full)| *abbreviation == word || *full == word)
        .map(|(abbreviation, _)| *abbreviation)
}

/// Returns the abbreviation of two spelled-out directional words (`NORTH WEST` → `NW`).
pub fn compound_directional(first: &str, second: &str) -> Option<&'static str> {
    match (first, second) {
        ("NORTH", "EAST") => Some("NE"),
        ("NORTH", "WEST") => Some("NW"),
        ("SOUTH", "EAST") => Some("SE"),
        ("SOUTH", "WEST") => Some("SW"),
        _ => None,
    }
}

/// Returns the numeric form of an ordinal word (`FIRST` → `1ST`).
pub fn ordinal(word: &str) -> Option<&'static str> {
    ORDINALS
        .iter()
        .find(|(full, _)| *full == word)
        .map(|(_, numeric)| *numeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_maps_spellings() {
        for (word, expected) in [
            ("STREET", "ST"),
            ("ST", "ST"),
            ("AVENUE", "AVE"),
            ("AV", "AVE"),
            ("BOULEVARD", "BLVD"),
            ("DRIVE", "DR"),
            ("ROAD", "RD"),
            ("LANE", "LN"),
            ("COURT", "CT"),
            ("PLACE", "PL"),
            ("TERRACE", "TER"),
            ("PARKWAY", "PKWY"),
            ("HIGHWAY", "HWY"),
            ("CIRCLE", "CIR"),
            ("SQUARE", "SQ"),
            ("CROSSING", "XING"),
        ] {
            assert_eq!(suffix(word), Some(expected), "{word}");
        }
        assert_eq!(suffix("MAIN"), None);
    }

    #[test]
    fn unit_designator_maps_spellings() {
        assert_eq!(unit_designator("APARTMENT"), Some(("APT", true)));
        assert_eq!(unit_designator("SUITE"), Some(("STE", true)));
        assert_eq!(unit_designator("FLOOR"), Some(("FL", true)));
        assert_eq!(unit_designator("ROOM"), Some(("RM", true)));
        assert_eq!(unit_designator("BUILDING"), Some(("BLDG", true)));
        assert_eq!(unit_designator("REAR"), Some(("REAR", false)));
        assert_eq!(unit_designator("#"), Some(("#", true)));
        assert_eq!(unit_designator("MAIN"), None);
    }

    #[test]
    fn directionals_map_both_forms() {
        assert_eq!(directional("NORTHWEST"), Some("NW"));
        assert_eq!(directional("NW"), Some("NW"));
        assert_eq!(directional("NORTHERN"), None);
        assert_eq!(compound_directional("SOUTH", "WEST"), Some("SW"));
    }

    #[test]
    fn highway_words_spell_out() {
        assert_eq!(spelled_before_number("HWY"), Some("HIGHWAY"));
        assert_eq!(spelled_before_number("RD"), Some("ROAD"));
        assert_eq!(spelled_before_number("ST"), None);
    }
}
