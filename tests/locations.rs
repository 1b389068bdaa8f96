//! The `locations` kind against the in-process sandbox: Post Offices of the bundled sample,
//! drop-off locations, parcel lockers, the count and radius of the job, and the whole
//! responses in `<job>.responses.jsonl`.

mod common;

use std::collections::HashMap;

use common::{repo, Workspace};

/// Writes a job like `jobs/locations.toml` into `workspace`, on the bundled sample.
fn sample_job(workspace: &Workspace) -> std::path::PathBuf {
    let input = repo().join("samples/locations.csv");
    workspace.job(
        "locations",
        "locations",
        &input,
        "quota = \"600/m\"\n[locations]\ntype = \"post-office\"\ncount = 3\nradius = 10\n",
    )
}

fn by_id(rows: Vec<HashMap<String, String>>) -> HashMap<String, HashMap<String, String>> {
    rows.into_iter()
        .map(|row| (row["id"].clone(), row))
        .collect()
}

fn responses(workspace: &Workspace, job: &str) -> Vec<serde_json::Value> {
    let path = workspace.out().join(format!("{job}.responses.jsonl"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

#[test]
fn sample_finds_nearest_post_offices() {
    let workspace = Workspace::new();
    let job = sample_job(&workspace);
    workspace
        .run(&["run", job.to_str().unwrap(), "--quiet"])
        .expect_code(3);

    let rows = by_id(workspace.csv("locations.csv"));
    assert_eq!(rows.len(), 14);
    let depot = &rows["L001"];
    assert_eq!(depot["usps_status"], "ok");
    assert_eq!(depot["usps_locations_found"], "3");
    assert_eq!(depot["usps_location1_name"], "SPRINGFIELD");
    assert_eq!(
        depot["usps_location1_address"],
        "701 MAIN ST, SPRINGFIELD, IL 62701-9998"
    );
    assert_eq!(depot["usps_location1_distance_miles"], "0");
    assert_eq!(
        depot["usps_location1_hours"],
        "MON-FRI 09:00-18:00; SAT 09:00-12:00"
    );
    assert_eq!(depot["usps_location2_name"], "SPRINGFIELD STATION 62705");
    assert_eq!(depot["usps_location2_distance_miles"], "0.33");
    assert_eq!(depot["usps_location2_hours"], "MON-FRI 09:00-18:00");

    // A city and state search from the city's first ZIP Code.
    let chicago = &rows["L002"];
    assert_eq!(chicago["usps_location1_name"], "CHICAGO");
    assert_eq!(
        chicago["usps_location1_address"],
        "401 MAIN ST, CHICAGO, IL 60601-9998"
    );
    // A street address searches from its ZIP Code.
    let library = &rows["L003"];
    assert_eq!(library["usps_location1_name"], "SPRINGFIELD STATION 62707");
    assert_eq!(library["usps_location2_distance_miles"], "1.62");
    // A four-digit Massachusetts ZIP Code gets its leading zero back.
    let allston = &rows["L006"];
    assert_eq!(allston["usps_status"], "ok");
    assert!(
        allston["usps_notes"].contains("ZIP Code 2134 padded to 02134"),
        "{}",
        allston["usps_notes"]
    );

    assert_eq!(rows["L010"]["usps_error_code"], "invalid_zip");
    assert_eq!(rows["L011"]["usps_error_code"], "missing_place");
    assert_eq!(rows["L012"]["usps_error_code"], "missing_state");
    assert_eq!(rows["L013"]["usps_status"], "not_found");
    assert_eq!(rows["L013"]["usps_error_code"], "place_not_found");
    // Military ZIP Codes have no coordinates to search from.
    assert_eq!(rows["L014"]["usps_error_code"], "place_not_found");

    let summary = workspace.summary("locations");
    assert_eq!(summary["by_status"]["ok"], 9);
    assert_eq!(summary["by_status"]["invalid_input"], 3);
    assert_eq!(summary["by_status"]["not_found"], 2);
    assert_eq!(summary["api_calls"], 11);
    let responses = summary["responses"].as_str().unwrap();
    assert!(
        responses.ends_with("locations.responses.jsonl"),
        "{responses}"
    );
}

#[test]
fn responses_file_holds_whole_responses() {
    let workspace = Workspace::new();
    let job = sample_job(&workspace);
    workspace
        .run(&["run", job.to_str().unwrap(), "--quiet"])
        .expect_code(3);
    let lines = responses(&workspace, "locations");
    assert_eq!(lines.len(), 14);
    let first = &lines[0];
    assert_eq!(first["row"], 1);
    assert_eq!(first["id"], "L001");
    assert_eq!(first["status"], "ok");
    let office = &first["response"]["locations"][0];
    assert_eq!(office["facilityID"], "1362701");
    assert_eq!(office["phoneNumbers"]["phone"], "2175552701");
    assert_eq!(office["services"][0]["service"], "RETAIL");
    assert_eq!(first["response"]["metadata"]["limit"], 3);
    // Rows without a response keep their line, with a null one.
    assert_eq!(lines[9]["id"], "L010");
    assert_eq!(lines[9]["status"], "invalid_input");
    assert!(lines[9]["response"].is_null());
}

#[test]
fn count_and_radius_come_from_job() {
    let workspace = Workspace::new();
    let input = workspace.write("stores.csv", "id,zip\nS1,62701\nS2,10001\n");
    let job = workspace.job(
        "near",
        "locations",
        &input,
        "quota = \"600/m\"\n[locations]\ncount = 1\nradius = 1\n",
    );
    workspace
        .run(&["run", job.to_str().unwrap(), "--quiet"])
        .expect_code(0);
    let rows = workspace.csv("near.csv");
    assert!(rows[0].contains_key("usps_location1_name"));
    assert!(!rows[0].contains_key("usps_location2_name"));
    assert_eq!(rows[0]["usps_location1_name"], "SPRINGFIELD");
    assert_eq!(rows[1]["usps_location1_name"], "NEW YORK");
    let lines = responses(&workspace, "near");
    let metadata = &lines[1]["response"]["metadata"];
    assert_eq!(metadata["limit"], 1);
    // Manhattan has many Post Offices within a mile; only the nearest is returned.
    assert!(metadata["totalCount"].as_u64().unwrap() > 1, "{metadata}");
    assert_eq!(
        lines[1]["response"]["locations"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn dropoff_lists_delivery_unit_and_center() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "d.csv",
        "id,zip,city,state\nD1,62704,,\nD2,00000,,\nD3,,Springfield,IL\n",
    );
    let job = workspace.job(
        "dropoff",
        "locations",
        &input,
        "[locations]\ntype = \"dropoff\"\ncount = 2\n",
    );
    workspace
        .run(&["run", job.to_str().unwrap(), "--quiet"])
        .expect_code(3);
    let rows = by_id(workspace.csv("dropoff.csv"));
    let unit = &rows["D1"];
    assert_eq!(unit["usps_location1_name"], "SPRINGFIELD STATION 62704");
    assert_eq!(unit["usps_location1_hours"], "MON-FRI 05:00-15:00");
    assert_eq!(unit["usps_location1_distance_miles"], "");
    assert_eq!(unit["usps_location2_name"], "SPRINGFIELD IL SCF");
    assert_eq!(
        unit["usps_location2_address"],
        "701 MAIN ST, SPRINGFIELD, IL 62701-9998"
    );
    assert_eq!(rows["D2"]["usps_error_code"], "no_locations");
    assert_eq!(
        rows["D2"]["usps_error"],
        "no drop-off location serves ZIP Code 00000; check the ZIP Code against USPS records"
    );
    assert_eq!(rows["D3"]["usps_error_code"], "missing_zip");
    let lines = responses(&workspace, "dropoff");
    assert_eq!(
        lines[0]["response"][0]["destinationEntryFacilityType"],
        "DESTINATION_DELIVERY_UNIT"
    );
}

#[test]
fn parcel_lockers_by_zip_and_city() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "l.csv",
        "id,zip,city,state\nP1,62704,,\nP2,62701,,\nP3,,Springfield,IL\n",
    );
    let job = workspace.job(
        "lockers",
        "locations",
        &input,
        "[locations]\ntype = \"parcel-locker\"\ncount = 2\n",
    );
    workspace
        .run(&["run", job.to_str().unwrap(), "--quiet"])
        .expect_code(3);
    let rows = by_id(workspace.csv("lockers.csv"));
    assert_eq!(
        rows["P1"]["usps_location1_name"],
        "SPRINGFIELD STATION 62704 PARCEL LOCKER"
    );
    assert_eq!(rows["P1"]["usps_locations_found"], "1");
    // Lockers stand at even ZIP Codes only.
    assert_eq!(rows["P2"]["usps_error_code"], "no_locations");
    assert_eq!(rows["P3"]["usps_locations_found"], "2");
    assert_eq!(
        rows["P3"]["usps_location1_name"],
        "SPRINGFIELD STATION 62702 PARCEL LOCKER"
    );
}

#[test]
fn rerun_makes_no_call() {
    let workspace = Workspace::new();
    let job = sample_job(&workspace);
    workspace
        .run(&["run", job.to_str().unwrap(), "--quiet"])
        .expect_code(3);
    let first = std::fs::read(workspace.out().join("locations.responses.jsonl")).unwrap();
    workspace
        .run(&["run", job.to_str().unwrap(), "--quiet"])
        .expect_code(3);
    assert_eq!(workspace.summary("locations")["api_calls"], 0);
    let second = std::fs::read(workspace.out().join("locations.responses.jsonl")).unwrap();
    assert_eq!(first, second);
}
