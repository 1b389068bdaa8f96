//! Manifest reading and local checks on byte-exact files with the faults that real exports
//! carry: a byte order mark, CRLF, ragged rows, quoted newlines, a quote that never closes,
//! Windows-1252 bytes, duplicate and oddly spelled headers, and non-ASCII text.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use usps_batch::checks::{prepare_address, prepare_city_state};
use usps_batch::manifest::{
    ColumnMap, Encoding, Fields, Format, ManifestError, ManifestReader, Record, ADDRESS_FIELDS,
    CITY_STATE_FIELDS,
};

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cases")
        .join(name)
}

fn open(path: &Path, format: Format, encoding: Encoding) -> ManifestReader {
    ManifestReader::open(path, format, encoding).unwrap()
}

fn read_all(path: &Path, format: Format, encoding: Encoding) -> Vec<Record> {
    open(path, format, encoding)
        .map(|record| record.unwrap())
        .collect()
}

fn address_columns(reader: &ManifestReader) -> ColumnMap {
    ColumnMap::resolve(
        ADDRESS_FIELDS,
        &BTreeMap::new(),
        reader.headers(),
        reader.path(),
    )
    .unwrap()
}

fn csv_values(record: &Record) -> &[String] {
    match &record.fields {
        Fields::Csv(values) => values,
        Fields::Json(_) => panic!("expected CSV fields"),
    }
}

fn json_value<'a>(record: &'a Record, key: &str) -> Option<&'a serde_json::Value> {
    match &record.fields {
        Fields::Json(map) => map.get(key),
        Fields::Csv(_) => panic!("expected JSON fields"),
    }
}

fn temp_file(extension: &str, bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .suffix(extension)
        .tempfile()
        .unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    file
}

#[test]
fn short_zip_padded_only_where_zero_fits() {
    let mut reader = open(&case("short-zip.csv"), Format::Csv, Encoding::Utf8);
    let columns = address_columns(&reader);
    let allston = reader.next_record().unwrap().unwrap();
    let dallas = reader.next_record().unwrap().unwrap();

    let prepared = prepare_address(&allston, &columns).unwrap();
    assert_eq!(prepared.query.zip_code.as_deref(), Some("02134"));
    assert_eq!(prepared.notes.len(), 1);
    assert!(
        prepared.notes[0].contains("padded to 02134"),
        "{:?}",
        prepared.notes
    );
    assert_eq!(csv_values(&allston)[4], "2134");

    let issue = prepare_address(&dallas, &columns).unwrap_err();
    assert_eq!(issue.code, "zip_too_short");
    assert_eq!(issue.value.as_deref(), Some("7520"));
}

#[test]
fn bom_stripped_from_first_header() {
    let mut reader = open(&case("bom.csv"), Format::Csv, Encoding::Utf8);
    assert_eq!(reader.headers(), ["id", "street", "city", "state", "zip"]);
    let columns = address_columns(&reader);
    assert_eq!(columns.column_name("id"), Some("id"));

    let record = reader.next_record().unwrap().unwrap();
    // Three bytes of byte order mark, 24 of header, then CRLF.
    assert_eq!(record.byte, 29);
    assert_eq!(record.line, 2);
    assert_eq!(columns.value("id", &record).as_deref(), Some("1"));
    assert_eq!(columns.value("ZIPCode", &record).as_deref(), Some("62704"));
    assert!(record.problem.is_none());
    assert!(reader.next_record().is_none());
}

#[test]
fn bom_stripped_in_latin1_too() {
    let reader = open(&case("bom.csv"), Format::Csv, Encoding::Latin1);
    assert_eq!(reader.headers()[0], "id");
}

#[test]
fn crlf_and_lf_hash_alike() {
    let crlf = temp_file(".csv", b"id,street\r\n1,742 EVERGREEN TER\r\n");
    let lf = temp_file(".csv", b"id,street\n1,742 EVERGREEN TER\n");
    let crlf_records = read_all(crlf.path(), Format::Csv, Encoding::Utf8);
    let lf_records = read_all(lf.path(), Format::Csv, Encoding::Utf8);
    assert_eq!(crlf_records[0].content_hash, lf_records[0].content_hash);
    assert_eq!(csv_values(&crlf_records[0])[1], "742 EVERGREEN TER");
}

#[test]
fn duplicate_header_rejected_at_load() {
    let reader = open(&case("duplicate-header.csv"), Format::Csv, Encoding::Utf8);
    let error = ColumnMap::resolve(
        ADDRESS_FIELDS,
        &BTreeMap::new(),
        reader.headers(),
        reader.path(),
    )
    .unwrap_err();
    assert!(matches!(error, ManifestError::DuplicateColumn { .. }));
    let message = error.to_string();
    assert!(message.contains("duplicate column `street`"), "{message}");
    assert!(message.contains("at positions 2 and 6"), "{message}");
    assert!(message.contains("duplicate-header.csv"), "{message}");
}

#[test]
fn duplicate_header_picked_by_mapping() {
    let mut reader = open(&case("duplicate-header.csv"), Format::Csv, Encoding::Utf8);
    let explicit = BTreeMap::from([
        ("streetAddress".to_owned(), "street#1".to_owned()),
        ("secondaryAddress".to_owned(), "street#2".to_owned()),
    ]);
    let columns =
        ColumnMap::resolve(ADDRESS_FIELDS, &explicit, reader.headers(), reader.path()).unwrap();
    let record = reader.next_record().unwrap().unwrap();
    let prepared = prepare_address(&record, &columns).unwrap();
    assert_eq!(prepared.query.street_address, "742 EVERGREEN TER");
    assert_eq!(prepared.query.secondary_address.as_deref(), Some("APT 2"));
}

#[test]
fn ragged_rows_reported_not_fatal() {
    let records = read_all(&case("ragged.csv"), Format::Csv, Encoding::Utf8);
    assert_eq!(records.len(), 3);

    // One empty trailing field is accepted and dropped.
    assert!(records[0].problem.is_none());
    assert_eq!(csv_values(&records[0]).len(), 5);

    let short = &records[1];
    let problem = short.problem.as_ref().unwrap();
    assert_eq!(problem.code, "wrong_field_count");
    assert!(
        problem.message.starts_with("4 of 5 fields"),
        "{}",
        problem.message
    );
    assert!(problem.message.contains("`zip`"), "{}", problem.message);
    assert_eq!(short.row, 2);
    assert_eq!(short.line, 3);
    assert_eq!(
        csv_values(short),
        ["2", "15 HARVARD AVE", "ALLSTON", "MA", ""]
    );

    assert!(records[2].problem.is_none());
    assert_eq!(records[2].line, 4);
}

#[test]
fn extra_fields_kept_out_of_columns() {
    let file = temp_file(".csv", b"id,street,state\n1,742 EVERGREEN TER,IL,X,Y\n");
    let records = read_all(file.path(), Format::Csv, Encoding::Utf8);
    let problem = records[0].problem.as_ref().unwrap();
    assert_eq!(problem.code, "wrong_field_count");
    assert!(
        problem
            .message
            .starts_with("5 fields where the header has 3"),
        "{}",
        problem.message
    );
    assert_eq!(csv_values(&records[0]), ["1", "742 EVERGREEN TER", "IL"]);
}

#[test]
fn newline_in_quoted_field() {
    let mut reader = open(&case("newline-in-field.csv"), Format::Csv, Encoding::Utf8);
    let columns = address_columns(&reader);
    let first = reader.next_record().unwrap().unwrap();
    let second = reader.next_record().unwrap().unwrap();
    assert!(reader.next_record().is_none());

    assert_eq!((first.row, first.line, first.byte), (1, 2, 30));
    assert_eq!((second.row, second.line, second.byte), (2, 4, 86));
    assert!(first.problem.is_none());
    assert!(second.problem.is_none());
    assert_eq!(csv_values(&first)[2], "123 MAIN ST\nAPT 4B");

    let prepared = prepare_address(&first, &columns).unwrap();
    assert!(!prepared.query.street_address.contains('\n'));
    assert_eq!(prepared.query.street_address, "123 MAIN ST");
    assert_eq!(prepared.query.secondary_address.as_deref(), Some("APT 4B"));
}

#[test]
fn unterminated_quote_reported() {
    let records = read_all(&case("unterminated-quote.csv"), Format::Csv, Encoding::Utf8);
    assert_eq!(records.len(), 2);
    assert!(records[0].problem.is_none());

    let swallowed = &records[1];
    assert_eq!((swallowed.row, swallowed.line), (2, 3));
    let problem = swallowed.problem.as_ref().unwrap();
    assert_eq!(problem.code, "unterminated_quote");
    assert!(
        problem
            .message
            .starts_with("quote opened on line 3 never closes"),
        "{}",
        problem.message
    );
    assert!(problem.message.contains("lines 3-4"), "{}", problem.message);
    assert!(
        problem.message.contains("fix the quoting"),
        "{}",
        problem.message
    );
}

#[test]
fn stray_quote_swallowing_many_lines() {
    let mut bytes = b"id,street,state\n1,\"742 EVERGREEN TER,IL\n".to_vec();
    for row in 2..400 {
        bytes.extend_from_slice(format!("{row},{row} OAK ST,IL\n").as_bytes());
    }
    bytes.extend_from_slice(b"400,\"9 ELM ST\",IL\n401,1 MAIN ST,IL\n");
    let file = temp_file(".csv", &bytes);
    let records = read_all(file.path(), Format::Csv, Encoding::Utf8);
    assert_eq!(records.len(), 2);
    let problem = records[0].problem.as_ref().unwrap();
    assert_eq!(problem.code, "unterminated_quote");
    assert!(
        problem.message.contains("lines 2-401"),
        "{}",
        problem.message
    );
    assert!(records[1].problem.is_none());
    assert_eq!(records[1].line, 402);
}

#[test]
fn stray_quote_swallowing_few_lines() {
    let bytes = b"id,street,city,state\n1,\"9 OAK ST,SPRINGFIELD,IL\n2,1 ELM ST,SPRINGFIELD,IL\n\
                  3,\"2 ELM ST\",SPRINGFIELD,IL\n";
    let file = temp_file(".csv", bytes);
    let records = read_all(file.path(), Format::Csv, Encoding::Utf8);
    let problem = records[0].problem.as_ref().unwrap();
    assert_eq!(problem.code, "unterminated_quote");
    assert!(
        problem.message.contains("look like rows"),
        "{}",
        problem.message
    );
}

#[test]
fn long_field_without_newline() {
    let street = "A".repeat(5000);
    let file = temp_file(".csv", format!("id,street\n1,{street}\n2,B\n").as_bytes());
    let records = read_all(file.path(), Format::Csv, Encoding::Utf8);
    assert_eq!(records.len(), 2);
    let problem = records[0].problem.as_ref().unwrap();
    assert_eq!(problem.code, "field_too_long");
    assert!(
        problem.message.contains("column `street`"),
        "{}",
        problem.message
    );
    assert!(records[1].problem.is_none());
}

#[test]
fn huge_unterminated_record_ends_reading() {
    let mut bytes = b"id,street\n0,1 ELM ST\n1,\"never closed\n".to_vec();
    while bytes.len() < (1 << 20) + 10_000 {
        bytes.extend_from_slice(b"2,9 OAK ST\n");
    }
    let file = temp_file(".csv", &bytes);
    let mut reader = open(file.path(), Format::Csv, Encoding::Utf8);
    let first = reader.next_record().unwrap().unwrap();
    assert!(first.problem.is_none());

    // The oversized record becomes one error row that names where reading ended.
    let last = reader.next_record().unwrap().unwrap();
    assert_eq!((last.row, last.line), (2, 3));
    let problem = last.problem.expect("a problem");
    assert_eq!(problem.code, "unterminated_quote");
    assert!(
        problem.message.contains("no rows after line 3 were read"),
        "{}",
        problem.message
    );
    assert!(reader.next_record().is_none());
}

#[test]
fn huge_jsonl_line_is_one_row() {
    let mut bytes = b"{\"id\": 1}\n{\"id\": 2, \"notes\": \"".to_vec();
    bytes.resize(bytes.len() + (1 << 20) + 10, b'x');
    bytes.extend_from_slice(b"\"}\n{\"id\": 3}\n");
    let file = temp_file(".jsonl", &bytes);
    let records = read_all(file.path(), Format::Jsonl, Encoding::Utf8);
    assert_eq!(records.len(), 3);
    assert!(records[0].problem.is_none());
    let problem = records[1].problem.as_ref().expect("a problem");
    assert_eq!(problem.code, "record_too_large");
    assert!(problem.message.contains("line 2"), "{}", problem.message);
    assert_eq!((records[2].row, records[2].line), (3, 3));
    assert!(records[2].problem.is_none());
}

#[test]
fn latin1_byte_reported_in_utf8_mode() {
    let path = case("latin1.csv");
    let records = read_all(&path, Format::Csv, Encoding::Utf8);
    assert_eq!(records.len(), 901);

    let bad: Vec<&Record> = records.iter().filter(|r| r.problem.is_some()).collect();
    assert_eq!(bad.len(), 1);
    let row = bad[0];
    assert_eq!((row.row, row.line), (900, 901));
    let offset = std::fs::read(&path)
        .unwrap()
        .iter()
        .position(|&byte| byte == 0xD1)
        .unwrap();
    let problem = row.problem.as_ref().unwrap();
    assert_eq!(problem.code, "invalid_utf8");
    assert!(
        problem.message.contains(&format!("byte offset {offset}")),
        "{}",
        problem.message
    );
    assert!(
        problem.message.contains("column `street`"),
        "{}",
        problem.message
    );
    assert!(
        problem.message.contains("encoding = \"latin1\""),
        "{}",
        problem.message
    );
    assert_eq!(csv_values(row)[1], "CALLE PE\u{FFFD}A 12");
    assert!(records[900].problem.is_none());
}

#[test]
fn latin1_declared_transcodes() {
    let mut reader = open(&case("latin1.csv"), Format::Csv, Encoding::Latin1);
    let columns = address_columns(&reader);
    let records: Vec<Record> = reader.by_ref().map(|record| record.unwrap()).collect();
    assert!(records.iter().all(|record| record.problem.is_none()));
    let row = &records[899];
    assert_eq!(csv_values(row)[1], "CALLE PEÑA 12");
    let prepared = prepare_address(row, &columns).unwrap();
    assert_eq!(prepared.query.street_address, "CALLE PENA 12");
    assert_eq!(prepared.query.zip_code.as_deref(), Some("00926"));
}

#[test]
fn utf8_check_ignores_buffer_boundaries() {
    // Place a bad byte, and separately a valid two-byte character, across every offset near
    // the 8 KB and 64 KB read buffers.
    for boundary in [8 * 1024, 64 * 1024] {
        for shift in 0..4 {
            let mut bytes = b"id,street\n".to_vec();
            let mut row = 0;
            while bytes.len() < boundary - 40 {
                row += 1;
                bytes.extend_from_slice(format!("{row},1 OAK ST\n").as_bytes());
            }
            // The odd byte lands at offsets boundary - 2 to boundary + 1.
            let head = format!("{},", row + 1);
            let filler = boundary - 2 + shift - bytes.len() - head.len();
            let prefix = format!("{head}{}", "X".repeat(filler));
            let mut valid = bytes.clone();
            valid.extend_from_slice(format!("{prefix}Ñ\n").as_bytes());
            bytes.extend_from_slice(prefix.as_bytes());
            bytes.extend_from_slice(b"\xD1\n");
            assert_eq!(bytes[boundary - 2 + shift], 0xD1);

            let bad = temp_file(".csv", &bytes);
            let records = read_all(bad.path(), Format::Csv, Encoding::Utf8);
            let problems: Vec<u64> = records
                .iter()
                .filter(|record| record.problem.is_some())
                .map(|record| record.row)
                .collect();
            assert_eq!(problems, [row + 1], "boundary {boundary} shift {shift}");

            let good = temp_file(".csv", &valid);
            let records = read_all(good.path(), Format::Csv, Encoding::Utf8);
            assert!(records.iter().all(|record| record.problem.is_none()));
            assert!(csv_values(records.last().unwrap())[1].ends_with('Ñ'));
        }
    }
}

#[test]
fn header_spelling_and_text_zip() {
    let mut reader = open(&case("header-spelling.csv"), Format::Csv, Encoding::Utf8);
    let columns = address_columns(&reader);
    assert_eq!(columns.column_name("ZIPCode"), Some("Zipcode"));
    assert_eq!(columns.column_name("streetAddress"), Some("Street"));
    let record = reader.next_record().unwrap().unwrap();
    let prepared = prepare_address(&record, &columns).unwrap();
    assert_eq!(prepared.query.zip_code.as_deref(), Some("00926"));
    assert_eq!(prepared.query.street_address, "150 CALLE A");
    assert!(prepared.notes.is_empty());
}

#[test]
fn missing_required_column_fails_once() {
    let reader = open(&case("header-spelling.csv"), Format::Csv, Encoding::Utf8);
    let headers: Vec<String> = reader.headers()[..3].to_vec();
    let error =
        ColumnMap::resolve(ADDRESS_FIELDS, &BTreeMap::new(), &headers, reader.path()).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("`streetAddress`"), "{message}");
    assert!(
        message.contains("found `Zipcode`, `City`, `State`"),
        "{message}"
    );
}

#[test]
fn non_ascii_sent_as_ascii() {
    let mut reader = open(&case("non-ascii.csv"), Format::Csv, Encoding::Utf8);
    let columns = address_columns(&reader);
    assert_eq!(columns.column_name("firm"), None);
    let mayaguez = reader.next_record().unwrap().unwrap();
    let springfield = reader.next_record().unwrap().unwrap();

    let prepared = prepare_address(&mayaguez, &columns).unwrap();
    assert_eq!(prepared.query.street_address, "123 CALLE PENA");
    assert_eq!(prepared.query.city.as_deref(), Some("MAYAGUEZ"));
    assert_eq!(prepared.notes.len(), 2);
    assert_eq!(csv_values(&mayaguez)[1], "Zoë Peña");
    assert_eq!(csv_values(&mayaguez)[3], "MAYAGÜEZ");

    let prepared = prepare_address(&springfield, &columns).unwrap();
    assert_eq!(prepared.query.street_address, "742 EVERGREEN TER");
    assert_eq!(csv_values(&springfield)[1], "Kim 🏡");
}

#[test]
fn rows_are_independent_of_content() {
    let records = read_all(&case("ragged.csv"), Format::Csv, Encoding::Utf8);
    assert_ne!(records[0].content_hash, records[2].content_hash);
    let again = read_all(&case("ragged.csv"), Format::Csv, Encoding::Utf8);
    assert_eq!(records[0].content_hash, again[0].content_hash);
}

#[test]
fn empty_and_missing_files() {
    let empty = temp_file(".csv", b"");
    let error = ManifestReader::open(empty.path(), Format::Csv, Encoding::Utf8).err();
    assert!(matches!(error, Some(ManifestError::Empty { .. })));

    let missing = Path::new("/nonexistent/orders.csv");
    let error = ManifestReader::open(missing, Format::Csv, Encoding::Utf8).err();
    let message = error.unwrap().to_string();
    assert!(message.contains("/nonexistent/orders.csv"), "{message}");
}

#[test]
fn header_with_invalid_utf8() {
    let file = temp_file(".csv", b"id,stra\xDFe\n1,2\n");
    let error = ManifestReader::open(file.path(), Format::Csv, Encoding::Utf8).err();
    let message = error.unwrap().to_string();
    assert!(message.contains("byte offset 7"), "{message}");
    assert!(message.contains("latin1"), "{message}");
    let reader = open(file.path(), Format::Csv, Encoding::Latin1);
    assert_eq!(reader.headers()[1], "straße");
}

#[test]
fn json_array_streamed() {
    let text = "\u{FEFF}[\n  {\"id\": 1, \"street\": \"1 \\\"A\\\" ST {x}\", \"state\": \"IL\", \
                \"zip\": \"62704\"},\n  {\"id\": 2, \"street\": \"2 ELM\\nST\", \"zip\": 2134,\n   \
                \"state\": \"MA\", \"tags\": [1, {\"a\": \"]\"}]},\n  7\n]\n";
    let file = temp_file(".json", text.as_bytes());
    let mut reader = open(file.path(), Format::Json, Encoding::Utf8);
    // The columns are the keys of every object, in the order they first appear.
    assert_eq!(reader.headers(), ["id", "street", "state", "zip", "tags"]);
    let columns = address_columns(&reader);
    let records: Vec<Record> = reader.by_ref().map(|record| record.unwrap()).collect();
    assert_eq!(records.len(), 3);

    assert_eq!((records[0].row, records[0].line), (1, 2));
    assert_eq!(json_value(&records[0], "street").unwrap(), "1 \"A\" ST {x}");
    assert_eq!((records[1].row, records[1].line), (2, 3));
    let prepared = prepare_address(&records[1], &columns).unwrap();
    assert_eq!(prepared.query.zip_code.as_deref(), Some("02134"));
    assert_eq!(prepared.query.street_address, "2 ELM ST");

    let problem = records[2].problem.as_ref().unwrap();
    assert_eq!(problem.code, "invalid_json");
    assert!(
        problem.message.contains("number, not an object"),
        "{}",
        problem.message
    );
    assert_eq!(records[2].line, 5);
}

#[test]
fn json_object_stream() {
    let file = temp_file(".json", b"{\"street\": \"A\"}\n{\"street\": \"B\"}\n");
    let records = read_all(file.path(), Format::Json, Encoding::Utf8);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].line, 2);
    assert_eq!(records[1].byte, 16);
}

#[test]
fn json_broken_array_is_fatal() {
    let cases: &[(&[u8], u64)] = &[
        (b"[\n{\"a\": 1},\n{\"a\": tru}\n]", 3),
        (b"[\n{\"a\": 1}\n{\"a\": 2}\n]", 3),
        (b"[\n{\"a\": 1},\n]", 3),
        (b"[\n{\"a\": 1},\n{\"a\": ", 3),
        (b"\"text\"", 1),
    ];
    for (bytes, line) in cases {
        let file = temp_file(".json", bytes);
        let error = ManifestReader::open(file.path(), Format::Json, Encoding::Utf8)
            .and_then(|reader| reader.collect::<Result<Vec<Record>, ManifestError>>())
            .unwrap_err();
        let text = String::from_utf8_lossy(bytes);
        match error {
            ManifestError::InvalidJson { line: found, .. } => {
                assert_eq!(found, *line, "{text}")
            }
            other => panic!("{text}: unexpected error {other}"),
        }
    }
}

#[test]
fn json_empty_array_has_no_records() {
    let file = temp_file(".json", b" [ ] \n");
    let mut reader = open(file.path(), Format::Json, Encoding::Utf8);
    assert!(reader.headers().is_empty());
    assert!(reader.next_record().is_none());
}

#[test]
fn jsonl_lines_and_problems() {
    let text = b"{\"zip\": \"62704\", \"street\": \"1 MAIN\"}\r\n\n   \n{\"zip\": 626\n[1, 2]\n\
                 {\"zip\": \"9\xD1\"}\n{\"zip\": \"62705\", \"extra\": true}";
    let file = temp_file(".jsonl", text);
    let mut reader = open(file.path(), Format::Jsonl, Encoding::Utf8);
    assert_eq!(reader.headers(), ["zip", "street", "extra"]);
    let records: Vec<Record> = reader.by_ref().map(|record| record.unwrap()).collect();
    let places: Vec<(u64, u64)> = records.iter().map(|r| (r.row, r.line)).collect();
    assert_eq!(places, [(1, 1), (2, 4), (3, 5), (4, 6), (5, 7)]);

    assert!(records[0].problem.is_none());
    let invalid = records[1].problem.as_ref().unwrap();
    assert_eq!(invalid.code, "invalid_json");
    assert!(
        invalid.message.contains("{\"zip\": 626"),
        "{}",
        invalid.message
    );
    assert_eq!(records[2].problem.as_ref().unwrap().code, "invalid_json");
    let encoding = records[3].problem.as_ref().unwrap();
    assert_eq!(encoding.code, "invalid_utf8");
    assert_eq!(json_value(&records[3], "zip").unwrap(), "9\u{FFFD}");
    assert!(records[4].problem.is_none());
    assert_eq!(json_value(&records[4], "extra").unwrap(), true);
}

#[test]
fn jsonl_header_from_first_object() {
    let file = temp_file(".ndjson", b"not json\n{\"ZIP\": \"62704\"}\n");
    let mut reader = open(file.path(), Format::Jsonl, Encoding::Utf8);
    assert_eq!(reader.headers(), ["ZIP"]);
    let columns = ColumnMap::resolve(
        CITY_STATE_FIELDS,
        &BTreeMap::new(),
        reader.headers(),
        reader.path(),
    )
    .unwrap();
    let first = reader.next_record().unwrap().unwrap();
    assert_eq!(first.problem.as_ref().unwrap().code, "invalid_json");
    let second = reader.next_record().unwrap().unwrap();
    let prepared = prepare_city_state(&second, &columns).unwrap();
    assert_eq!(prepared.query.zip_code, "62704");
}

#[test]
fn jsonl_latin1() {
    let file = temp_file(".jsonl", b"{\"street\": \"CALLE PE\xD1A 12\"}\n");
    let records = read_all(file.path(), Format::Jsonl, Encoding::Latin1);
    assert!(records[0].problem.is_none());
    assert_eq!(json_value(&records[0], "street").unwrap(), "CALLE PEÑA 12");
}
