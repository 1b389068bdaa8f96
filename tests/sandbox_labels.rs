//! The sandbox's Payments and Labels endpoints over real HTTP on loopback: payment
//! authorization, multipart labels, the idempotency key, the balance and cancels.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use usps_batch::quota::Quota;
use usps_batch::sandbox::{Sandbox, SandboxConfig, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
use usps_batch::usps::labels::parse_label_response;
use usps_batch::usps::oauth::TokenResponse;
use usps_batch::usps::paths;

const ACCOUNT: &str = "1000012345";

fn client() -> Client {
    // No proxy: every request must stay on loopback, whatever proxy the environment sets.
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn start(balance: Option<&str>) -> Sandbox {
    let config = SandboxConfig {
        quota: Quota::UNLIMITED,
        balance: balance.map(|text| text.parse().unwrap()),
        ..Default::default()
    };
    Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Returns an access token and a payment authorization token.
async fn tokens(http: &Client, sandbox: &Sandbox) -> (String, String) {
    let token = http
        .post(format!("{}{}", sandbox.base_url(), paths::TOKEN))
        .json(&json!({
            "grant_type": "client_credentials",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        }))
        .send()
        .await
        .unwrap()
        .json::<TokenResponse>()
        .await
        .unwrap();
    assert!(token.scope.as_deref().unwrap().contains("labels"));
    let response = http
        .post(format!(
            "{}{}",
            sandbox.base_url(),
            paths::PAYMENT_AUTHORIZATION
        ))
        .bearer_auth(&token.access_token)
        .json(&json!({"roles": [
            {"roleName": "PAYER", "CRID": "56982563", "MID": "904128936",
             "manifestMID": "904128936", "accountType": "EPS", "accountNumber": ACCOUNT},
            {"roleName": "LABEL_OWNER", "CRID": "56982563", "MID": "904128936",
             "manifestMID": "904128936"}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let payment = body["paymentAuthorizationToken"]
        .as_str()
        .unwrap()
        .to_string();
    (token.access_token, payment)
}

fn label_body(street: &str) -> Value {
    json!({
        "imageInfo": {"imageType": "PDF", "labelType": "4X6LABEL"},
        "toAddress": {"firstName": "ADA", "streetAddress": street, "city": "WASHINGTON",
                      "state": "DC", "ZIPCode": "20500"},
        "fromAddress": {"firm": "EXAMPLE", "streetAddress": "4120 BINGHAM AVE",
                        "city": "SAINT LOUIS", "state": "MO", "ZIPCode": "63116"},
        "packageDescription": {"weightUOM": "lb", "weight": 2.5, "dimensionsUOM": "in",
                               "length": 10, "width": 8, "height": 4,
                               "mailClass": "USPS_GROUND_ADVANTAGE",
                               "processingCategory": "MACHINABLE", "rateIndicator": "SP",
                               "destinationEntryFacilityType": "NONE"}
    })
}

async fn buy(
    http: &Client,
    sandbox: &Sandbox,
    (token, payment): &(String, String),
    key: &str,
    body: &Value,
) -> reqwest::Response {
    http.post(format!("{}{}", sandbox.base_url(), paths::LABEL))
        .bearer_auth(token)
        .header("X-Payment-Authorization-Token", payment)
        .header("X-Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn tracking_number(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("multipart/form-data; boundary="));
    let body = response.bytes().await.unwrap();
    let parsed = parse_label_response(Some(&content_type), &body).unwrap();
    let pdf = parsed.label.unwrap().bytes;
    assert!(pdf.starts_with(b"%PDF-"));
    parsed.metadata.tracking_number
}

#[tokio::test]
async fn same_key_returns_same_label_once_charged() {
    let sandbox = start(None).await;
    let http = client();
    let tokens = tokens(&http, &sandbox).await;
    let key = "0b5f1a3e-7c1d-4c9a-9d55-3a1f2b6c7d80";

    let first = tracking_number(
        buy(
            &http,
            &sandbox,
            &tokens,
            key,
            &label_body("1600 PENNSYLVANIA AVE NW"),
        )
        .await,
    )
    .await;
    let again = tracking_number(
        buy(
            &http,
            &sandbox,
            &tokens,
            key,
            &label_body("1600 PENNSYLVANIA AVE NW"),
        )
        .await,
    )
    .await;
    assert_eq!(first, again);

    let other = buy(&http, &sandbox, &tokens, key, &label_body("1 OTHER ST")).await;
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);
    let error: Value = other.json().await.unwrap();
    assert_eq!(error["error"]["errors"][0]["code"], "SANDBOX-IDEMPOTENCY");

    let second_key = "6f0c2d4b-1e2a-4b3c-8d9e-0f1a2b3c4d5e";
    let second = tracking_number(
        buy(
            &http,
            &sandbox,
            &tokens,
            second_key,
            &label_body("1600 PENNSYLVANIA AVE NW"),
        )
        .await,
    )
    .await;
    assert_ne!(first, second, "another key is another label");

    let stats = sandbox.stats();
    let account = &stats.labels[ACCOUNT];
    assert_eq!(account.labels_charged, 2);
    assert_eq!(account.labels_reused, 1);
}

#[tokio::test]
async fn balance_runs_out_and_cancel_refunds() {
    let sandbox = start(Some("12.00")).await;
    let http = client();
    let tokens = tokens(&http, &sandbox).await;

    let tracking = tracking_number(
        buy(
            &http,
            &sandbox,
            &tokens,
            "11111111-1111-4111-8111-111111111111",
            &label_body("1600 PENNSYLVANIA AVE NW"),
        )
        .await,
    )
    .await;
    let spent = sandbox.stats().labels[ACCOUNT].clone();
    let postage: rust_decimal::Decimal = spent.postage_total.parse().unwrap();
    assert!(postage > rust_decimal::Decimal::ZERO);
    let balance: rust_decimal::Decimal = spent.balance.unwrap().parse().unwrap();
    assert_eq!(balance + postage, "12.00".parse().unwrap());

    // Two more labels cannot both fit in what is left.
    let mut rejected = None;
    for key in [
        "22222222-2222-4222-8222-222222222222",
        "33333333-3333-4333-8333-333333333333",
    ] {
        let response = buy(
            &http,
            &sandbox,
            &tokens,
            key,
            &label_body("1600 PENNSYLVANIA AVE NW"),
        )
        .await;
        if response.status() == StatusCode::BAD_REQUEST {
            rejected = Some(response.json::<Value>().await.unwrap());
            break;
        }
    }
    let rejected = rejected.expect("the balance ran out");
    assert_eq!(rejected["error"]["errors"][0]["code"], "100007");

    let cancel = http
        .delete(format!("{}/labels/v3/label/{tracking}", sandbox.base_url()))
        .bearer_auth(&tokens.0)
        .header("X-Payment-Authorization-Token", &tokens.1)
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), StatusCode::OK);
    let body: Value = cancel.json().await.unwrap();
    assert_eq!(
        body,
        json!({"trackingNumber": tracking, "status": "CANCELED"})
    );
    let account = sandbox.stats().labels[ACCOUNT].clone();
    assert_eq!(account.labels_cancelled, 1);

    let again = http
        .delete(format!("{}/labels/v3/label/{tracking}", sandbox.base_url()))
        .bearer_auth(&tokens.0)
        .header("X-Payment-Authorization-Token", &tokens.1)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn label_without_payment_token_is_unauthorized() {
    let sandbox = start(None).await;
    let http = client();
    let (token, _) = tokens(&http, &sandbox).await;
    let response = http
        .post(format!("{}{}", sandbox.base_url(), paths::LABEL))
        .bearer_auth(&token)
        .json(&label_body("1600 PENNSYLVANIA AVE NW"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(sandbox
        .stats()
        .labels
        .get(ACCOUNT)
        .is_none_or(|account| account.labels_charged == 0));
}

#[tokio::test]
async fn punctuated_phone_is_rejected() {
    let sandbox = start(None).await;
    let http = client();
    let tokens = tokens(&http, &sandbox).await;
    let mut body = label_body("1600 PENNSYLVANIA AVE NW");
    body["toAddress"]["phone"] = json!("(202) 555-0104");
    let key = "44444444-4444-4444-8444-444444444444";
    let response = buy(&http, &sandbox, &tokens, key, &body).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error: Value = response.json().await.unwrap();
    assert_eq!(
        error["error"]["errors"][0]["source"]["parameter"],
        "toAddress.phone"
    );

    body["toAddress"]["phone"] = json!("2025550104");
    let accepted = buy(&http, &sandbox, &tokens, key, &body).await;
    assert_eq!(accepted.status(), StatusCode::OK);
    assert_eq!(sandbox.stats().labels[ACCOUNT].labels_charged, 1);
}
