//! The sandbox's International Prices and Service Standards endpoints over real HTTP on
//! loopback: the token check, the quota and the response shapes.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use usps_batch::quota::Quota;
use usps_batch::sandbox::{Sandbox, SandboxConfig, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
use usps_batch::usps::oauth::TokenResponse;
use usps_batch::usps::paths;

fn client() -> Client {
    // No proxy: every request must stay on loopback, whatever proxy the environment sets.
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn start(quota: Quota) -> Sandbox {
    let config = SandboxConfig {
        quota,
        ..Default::default()
    };
    Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn token(http: &Client, sandbox: &Sandbox) -> String {
    let response = http
        .post(format!("{}{}", sandbox.base_url(), paths::TOKEN))
        .json(&json!({
            "grant_type": "client_credentials",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<TokenResponse>().await.unwrap().access_token
}

fn today() -> String {
    usps_batch::checks::today_at("10001", jiff::Timestamp::now()).to_string()
}

fn international_body() -> Value {
    json!({
        "originZIPCode": "10001", "destinationCountryCode": "DE", "weight": 3,
        "length": 0, "width": 0, "height": 0, "mailClass": "PRIORITY_MAIL_INTERNATIONAL",
        "processingCategory": "MACHINABLE", "rateIndicator": "SP",
        "destinationEntryFacilityType": "NONE", "priceType": "RETAIL", "mailingDate": today()
    })
}

#[tokio::test]
async fn international_price_over_http() {
    let sandbox = start(Quota::UNLIMITED).await;
    let http = client();
    let url = format!("{}{}", sandbox.base_url(), paths::INTERNATIONAL_BASE_RATES);

    let anonymous = http
        .post(&url)
        .json(&international_body())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let bearer = token(&http, &sandbox).await;
    let response = http
        .post(&url)
        .bearer_auth(&bearer)
        .json(&international_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    // Germany is price group 6: 45.00 + 2 × 3.50 + 5 × 3.00.
    assert_eq!(body["totalBasePrice"], json!(67.0));
    assert_eq!(body["rates"][0]["zone"], "06");
    assert_eq!(body["rates"][0]["rateIndicator"], "SP");

    let mut no_group = international_body();
    no_group["destinationCountryCode"] = json!("KP");
    let response = http
        .post(&url)
        .bearer_auth(&bearer)
        .json(&no_group)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["apiVersion"], "/international-prices/v3/");
    assert_eq!(body["error"]["errors"][0]["code"], "030013");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn estimates_over_http() {
    let sandbox = start(Quota::UNLIMITED).await;
    let http = client();
    let bearer = token(&http, &sandbox).await;
    let url = format!("{}{}", sandbox.base_url(), paths::SERVICE_STANDARDS);

    let response = http
        .get(&url)
        .bearer_auth(&bearer)
        .query(&[
            ("originZIPCode", "10001"),
            ("destinationZIPCode", "90210"),
            ("mailClass", "PRIORITY_MAIL_EXPRESS"),
            ("acceptanceDate", today().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let estimates = body.as_array().expect("the body is an array");
    assert_eq!(estimates.len(), 1);
    assert_eq!(estimates[0]["serviceStandard"], " 2");
    assert_eq!(estimates[0]["delivery"]["guaranteedDelivery"], true);

    let response = http
        .get(&url)
        .bearer_auth(&bearer)
        .query(&[
            ("originZIPCode", "10001"),
            ("destinationZIPCode", "90210"),
            ("acceptanceDate", "2020-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["apiVersion"], "/service-standards/v3/");
    assert_eq!(body["error"]["errors"][0]["code"], "040002");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn quota_covers_rate_endpoints() {
    // Three calls a minute: the token and two API calls, then a 429.
    let sandbox = start("3/m".parse().unwrap()).await;
    let http = client();
    let bearer = token(&http, &sandbox).await;
    let url = format!("{}{}", sandbox.base_url(), paths::INTERNATIONAL_BASE_RATES);
    for _ in 0..2 {
        let response = http
            .post(&url)
            .bearer_auth(&bearer)
            .json(&international_body())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = http
        .get(format!(
            "{}{}",
            sandbox.base_url(),
            paths::SERVICE_STANDARDS
        ))
        .bearer_auth(&bearer)
        .query(&[("originZIPCode", "10001"), ("destinationZIPCode", "90210")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    sandbox.shutdown().await;
}
