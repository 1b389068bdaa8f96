//! The sandbox's per-API access switch and its Locations endpoints over real HTTP on
//! loopback: the 401 of a disabled API, the token's scope, and the spec's response shapes.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
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

async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn token(http: &Client, sandbox: &Sandbox) -> TokenResponse {
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
    response.json().await.unwrap()
}

async fn get(
    http: &Client,
    sandbox: &Sandbox,
    bearer: &str,
    path: &str,
    query: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = http
        .get(format!("{}{path}", sandbox.base_url()))
        .query(query)
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap())
}

#[tokio::test]
async fn disabled_api_gets_401() {
    let sandbox = start(SandboxConfig {
        disabled_apis: ["locations".to_string()].into(),
        ..Default::default()
    })
    .await;
    let http = client();
    let token = token(&http, &sandbox).await;
    let scope = token.scope.unwrap();
    assert!(!scope.split(' ').any(|api| api == "locations"), "{scope}");
    assert!(scope.split(' ').any(|api| api == "addresses"), "{scope}");

    let (status, headers, body) = get(
        &http,
        &sandbox,
        &token.access_token,
        paths::POST_OFFICE_LOCATIONS,
        &[("ZIPCode", "62701")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let challenge = headers["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("insufficient_scope"), "{challenge}");
    assert_eq!(body["apiVersion"], "/locations/v3/");
    assert_eq!(body["error"]["code"], "401");
    assert_eq!(
        body["error"]["message"],
        "The client does not have access rights to the content."
    );
    assert_eq!(body["error"]["errors"][0]["title"], "unauthorized_client");
    assert_eq!(body["error"]["errors"][0]["source"], "Access Token");

    // Other APIs of the same token still work.
    let (status, _, _) = get(
        &http,
        &sandbox,
        &token.access_token,
        paths::CITY_STATE,
        &[("ZIPCode", "62701")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn disabled_api_costs_no_quota() {
    let sandbox = start(SandboxConfig {
        quota: "3/h".parse().unwrap(),
        disabled_apis: ["locations".to_string()].into(),
        ..Default::default()
    })
    .await;
    let http = client();
    let token = token(&http, &sandbox).await.access_token;
    for _ in 0..3 {
        let (status, _, _) = get(
            &http,
            &sandbox,
            &token,
            paths::POST_OFFICE_LOCATIONS,
            &[("ZIPCode", "62701")],
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // The token took one of three calls, so two allowed calls remain.
    for expected in [
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::TOO_MANY_REQUESTS,
    ] {
        let (status, _, _) = get(
            &http,
            &sandbox,
            &token,
            paths::CITY_STATE,
            &[("ZIPCode", "62701")],
        )
        .await;
        assert_eq!(status, expected);
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn locations_follow_spec_shapes() {
    let sandbox = start(SandboxConfig::default()).await;
    let http = client();
    let token = token(&http, &sandbox).await.access_token;

    let (status, _, body) = get(
        &http,
        &sandbox,
        &token,
        paths::POST_OFFICE_LOCATIONS,
        &[("city", "Springfield"), ("state", "IL"), ("limit", "2")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let first = &body["locations"][0];
    assert_eq!(first["facilityName"], "SPRINGFIELD");
    assert_eq!(first["facilityID"], "1362701");
    assert_eq!(first["facilityAddress"]["ZIPPlus4"], "9998");
    assert_eq!(first["postOfficeType"], "POST_OFFICE");
    assert_eq!(first["DSTObserved"], true);
    assert_eq!(first["services"][0]["hours"][0]["dayOfWeek"], "MONDAY");
    assert_eq!(
        first["services"][0]["hours"][0]["times"][0]["openTime"],
        "0900"
    );
    assert_eq!(body["metadata"]["limit"], 2);
    assert_eq!(body["metadata"]["offset"], 0);
    assert_eq!(body["locations"].as_array().unwrap().len(), 2);

    let (status, _, body) = get(
        &http,
        &sandbox,
        &token,
        paths::DROPOFF_LOCATIONS,
        &[("destinationZIPCode", "62704")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body[0]["dropShipmentKey"], "DU62704");
    assert_eq!(body[1]["dropShipmentKey"], "SC62701");

    let (status, _, body) = get(
        &http,
        &sandbox,
        &token,
        paths::PARCEL_LOCKER_LOCATIONS,
        &[("city", "Springfield")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["apiVersion"], "/locations/v3");
    assert_eq!(body["error"]["errors"][0]["source"]["parameter"], "state");

    let (status, _, body) = get(
        &http,
        &sandbox,
        &token,
        paths::POST_OFFICE_LOCATIONS,
        &[("ZIPCode", "62701"), ("LAT", "39.8"), ("LONG", "-89.6")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["errors"][0]["code"], "160230");
    sandbox.shutdown().await;
}
