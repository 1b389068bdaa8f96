//! The `shipping-options` kind end to end: the real binary against a sandbox on loopback.

mod common;

use common::{sandbox_config, TestSandbox, Workspace};

const OPTIONS: &str = "/shipments/v3/options/search";

#[test]
fn options_pick_cheapest_and_fastest() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let input = workspace.write(
        "in.csv",
        "id,from_zip,to_zip,weight,length,width,height\n\
         R1,10001,19103,48,10,8,4\n\
         R2,10001,19103,48,,,\n",
    );
    let job = workspace.job(
        "options",
        "shipping-options",
        &input,
        "quota = \"600/m\"\n[units]\nweight = \"oz\"\ndimensions = \"in\"\n",
    );
    let run = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "--quiet",
    ]);
    // Exit 3: the row without dimensions is an error.
    run.expect_code(3);

    let rows = workspace.csv("options.csv");
    let quoted = &rows[0];
    assert_eq!(quoted["usps_status"], "ok");
    assert_eq!(quoted["usps_option_count"], "4");
    // Zone 2, 3 lb: Parcel Select 6.50 + 2 × 0.95 + 0.55 is the cheapest.
    assert_eq!(quoted["usps_cheapest_mail_class"], "PARCEL_SELECT");
    assert_eq!(quoted["usps_cheapest_price"], "8.95");
    // Priority Mail and Priority Mail Express both take one day; Priority Mail costs less.
    assert_eq!(quoted["usps_fastest_mail_class"], "PRIORITY_MAIL");
    assert_eq!(quoted["usps_fastest_price"], "12.90");

    let without_dimensions = &rows[1];
    assert_eq!(without_dimensions["usps_status"], "invalid_input");
    assert_eq!(without_dimensions["usps_error_code"], "missing_dimensions");
    assert_eq!(
        sandbox.stats().requests[OPTIONS],
        1,
        "the error cost no call"
    );
}
