//! The sandbox over real HTTP on loopback: tokens, the address rules, validation, quota,
//! expired tokens, query encoding, faults and stats.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use usps_batch::quota::Quota;
use usps_batch::sandbox::{
    router, Faults, Sandbox, SandboxConfig, SandboxState, StatsSnapshot, DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET, EXPIRE_TOKENS_PATH,
};
use usps_batch::usps::oauth::TokenResponse;
use usps_batch::usps::paths;

/// A query, the parameter expected in `errors[0].source`, and the expected inventory code.
type ValidationCase<'a> = (Vec<(&'a str, &'a str)>, &'a str, Option<&'a str>);

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn unlimited() -> SandboxConfig {
    SandboxConfig {
        quota: Quota::UNLIMITED,
        ..Default::default()
    }
}

fn client() -> Client {
    // No proxy: every request must stay on loopback, whatever proxy the environment sets.
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config, loopback()).await.unwrap()
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

async fn get(
    http: &Client,
    sandbox: &Sandbox,
    path: &str,
    token: &str,
    query: &[(&str, &str)],
) -> (StatusCode, Value) {
    let response = http
        .get(format!("{}{path}", sandbox.base_url()))
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.json::<Value>().await.unwrap();
    (status, body)
}

#[tokio::test]
async fn token_success_has_spec_fields() {
    let sandbox = start(unlimited()).await;
    let http = client();
    let url = format!("{}{}", sandbox.base_url(), paths::TOKEN);

    let json_body = http
        .post(&url)
        .json(&json!({
            "grant_type": "client_credentials",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), StatusCode::OK);
    let token: Value = json_body.json().await.unwrap();
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 28799);
    assert_eq!(token["status"], "approved");
    assert_eq!(token["client_id"], DEFAULT_CLIENT_ID);
    assert_eq!(token["api_products"], "[Public Access I]");
    assert!(token["scope"].as_str().unwrap().contains("addresses"));
    assert!(token["issuer"].is_string());
    assert!(token["application_name"].is_string());
    let issued_at = token["issued_at"].as_u64().unwrap();
    assert!(
        issued_at > 1_600_000_000_000,
        "issued_at is not in ms: {issued_at}"
    );
    let access_token = token["access_token"].as_str().unwrap();
    assert_eq!(access_token.split('.').count(), 3);

    let form_body = http
        .post(&url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form_body.status(), StatusCode::OK);
    let second: TokenResponse = form_body.json().await.unwrap();
    assert_ne!(second.access_token, access_token);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn token_failures_use_oauth_shape() {
    let sandbox = start(unlimited()).await;
    let http = client();
    let url = format!("{}{}", sandbox.base_url(), paths::TOKEN);
    let cases = [
        (
            json!({"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "InvalidApiKey: The client application credentials provided in the request are missing, invalid, inactive or not approved for access.",
        ),
        (
            json!({"grant_type": "client_credentials", "client_id": DEFAULT_CLIENT_ID, "client_secret": "wrong"}),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        ),
    ];
    for (body, status, error, description) in cases {
        let response = http.post(&url).json(&body).send().await.unwrap();
        assert_eq!(response.status(), status);
        let challenge = response.headers().get("www-authenticate").cloned();
        assert!(challenge.is_some(), "no WWW-Authenticate for {description}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error);
        assert_eq!(body["error_description"], description);
        assert!(body["error_uri"].is_string());
    }

    let refresh = http
        .post(&url)
        .json(&json!({
            "grant_type": "refresh_token",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), StatusCode::BAD_REQUEST);
    let body: Value = refresh.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");
    assert_eq!(sandbox.stats().tokens_issued, 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn address_outcome_rules() {
    let sandbox = start(unlimited()).await;
    let http = client();
    let token = token(&http, &sandbox).await;

    // (street, secondary, city, state, ZIP, expected status, DPV or error code)
    let cases: &[(&str, &str, &str, &str, &str, u16, &str)] = &[
        (
            "1412 Elm Street",
            "",
            "Springfield",
            "IL",
            "62701",
            200,
            "Y",
        ),
        ("1400 Elm St", "", "", "IL", "62702", 200, "D"),
        ("1400 Elm St", "Apt 75", "", "IL", "62702", 200, "S"),
        ("1400 Elm St", "Apt 12", "", "IL", "62702", 200, "Y"),
        ("1499 Elm St", "", "", "IL", "62703", 404, "010006"),
        ("0 Elm St", "", "", "IL", "62704", 404, "010005"),
        ("25000 Elm St", "", "", "IL", "62704", 404, "010005"),
        ("12 Nowhere Rd", "", "", "IL", "62704", 404, "010005"),
        ("12 Elm St", "", "Atlantis", "IL", "", 404, "010004"),
        ("12 Elm St", "", "", "IL", "00000", 404, "010002"),
        ("12 Elm St", "", "Boston", "MA", "62701", 404, "010001"),
        ("Elm St", "", "Springfield", "IL", "", 404, "010001"),
        ("Unit 2050 Box 4190", "", "", "AE", "09012", 200, "Y"),
        ("PSC 802 Box 74", "", "APO", "AP", "", 200, "Y"),
        ("12 Elm St", "", "", "AE", "09012", 404, "010001"),
        ("PO Box 12", "", "Springfield", "IL", "", 200, "Y"),
        ("RR 2 Box 152", "", "Springfield", "IL", "", 200, "Y"),
        ("HC 68 Box 23A", "", "Springfield", "IL", "", 200, "Y"),
    ];
    for &(street, secondary, city, state, zip, status, expected) in cases {
        let mut query = vec![("streetAddress", street), ("state", state)];
        for (name, value) in [
            ("secondaryAddress", secondary),
            ("city", city),
            ("ZIPCode", zip),
        ] {
            if !value.is_empty() {
                query.push((name, value));
            }
        }
        let (got_status, body) = get(&http, &sandbox, paths::ADDRESS, &token, &query).await;
        assert_eq!(
            got_status.as_u16(),
            status,
            "{street} {city} {state} {zip}: {body}"
        );
        if status == 200 {
            assert_eq!(
                body["additionalInfo"]["DPVConfirmation"], expected,
                "{street}: {body}"
            );
        } else {
            assert_eq!(
                body["error"]["code"],
                status.to_string(),
                "{street}: {body}"
            );
            assert_eq!(
                body["error"]["errors"][0]["code"], expected,
                "{street}: {body}"
            );
            assert_eq!(body["apiVersion"], "/addresses/v3/");
        }
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn address_response_is_standardized() {
    let sandbox = start(unlimited()).await;
    let http = client();
    let token = token(&http, &sandbox).await;

    let (status, body) = get(
        &http,
        &sandbox,
        paths::ADDRESS,
        &token,
        &[
            ("streetAddress", "1412 north elm street, 4B"),
            ("city", "springfeld"),
            ("state", "IL"),
            ("firm", "Acme Widgets"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["firm"], "ACME WIDGETS");
    assert_eq!(body["address"]["streetAddress"], "1412 N ELM ST");
    assert_eq!(body["address"]["secondaryAddress"], "# 4B");
    assert_eq!(body["address"]["city"], "SPRINGFIELD");
    assert!(body["address"]["ZIPCode"]
        .as_str()
        .unwrap()
        .starts_with("627"));
    let zip4 = body["address"]["ZIPPlus4"].as_str().unwrap();
    assert!(
        zip4.len() == 4 && zip4.bytes().all(|b| b.is_ascii_digit()),
        "{zip4}"
    );
    assert_eq!(body["matches"][0]["code"], "31");
    assert_eq!(body["matches"][0]["text"], "Single Response - exact match");
    let info = &body["additionalInfo"];
    assert_eq!(info["deliveryPoint"], "04");
    assert_eq!(info["business"], "Y");
    assert_eq!(info["centralDeliveryPoint"], "Y");
    assert_eq!(info["DPVCMRA"], "N");
    assert_eq!(info["vacant"], "N");
    assert!(info["carrierRoute"].as_str().unwrap().starts_with('C'));

    let (_, default) = get(
        &http,
        &sandbox,
        paths::ADDRESS,
        &token,
        &[
            ("streetAddress", "1400 Elm St"),
            ("state", "IL"),
            ("ZIPCode", "62702"),
        ],
    )
    .await;
    assert_eq!(default["corrections"][0]["code"], "32");

    let (status, puerto_rico) = get(
        &http,
        &sandbox,
        paths::ADDRESS,
        &token,
        &[
            ("streetAddress", "1 Calle Mayor"),
            ("urbanization", "Urb. Las Flores"),
            ("state", "PR"),
            ("ZIPCode", "00926"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{puerto_rico}");
    assert_eq!(puerto_rico["address"]["urbanization"], "URB LAS FLORES");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn city_state_and_zipcode() {
    let sandbox = start(unlimited()).await;
    let http = client();
    let token = token(&http, &sandbox).await;

    let (status, found) = get(
        &http,
        &sandbox,
        paths::CITY_STATE,
        &token,
        &[("ZIPCode", "30004")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        found,
        json!({"city": "ALPHARETTA", "state": "GA", "ZIPCode": "30004"})
    );

    let (status, missing) = get(
        &http,
        &sandbox,
        paths::CITY_STATE,
        &token,
        &[("ZIPCode", "00000")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(missing["error"]["errors"][0]["code"], "010002");

    let (status, invalid) = get(
        &http,
        &sandbox,
        paths::CITY_STATE,
        &token,
        &[("ZIPCode", "3000")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        invalid["error"]["errors"][0]["source"]["parameter"],
        "ZIPCode"
    );

    let (status, zip) = get(
        &http,
        &sandbox,
        paths::ZIPCODE,
        &token,
        &[
            ("streetAddress", "1412 Elm St"),
            ("city", "Springfield"),
            ("state", "IL"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{zip}");
    assert!(zip["address"]["ZIPCode"]
        .as_str()
        .unwrap()
        .starts_with("627"));
    assert_eq!(zip["address"]["ZIPPlus4"].as_str().unwrap().len(), 4);
    assert!(zip.get("additionalInfo").is_none());

    let (status, unknown) = get(
        &http,
        &sandbox,
        paths::ZIPCODE,
        &token,
        &[
            ("streetAddress", "0 Elm St"),
            ("city", "Springfield"),
            ("state", "IL"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown["error"]["errors"][0]["code"], "010005");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn validation_names_parameter() {
    let sandbox = start(unlimited()).await;
    let http = client();
    let token = token(&http, &sandbox).await;
    let long_street = "1".repeat(51);
    let long_city = "C".repeat(29);
    let long_firm = "F".repeat(51);

    let cases: Vec<ValidationCase> = vec![
        (
            vec![("state", "IL"), ("city", "Springfield")],
            "streetAddress",
            Some("010001"),
        ),
        (
            vec![
                ("streetAddress", &long_street),
                ("state", "IL"),
                ("city", "Springfield"),
            ],
            "streetAddress",
            Some("010001"),
        ),
        (
            vec![
                ("streetAddress", "1 Elm St"),
                ("state", "IL"),
                ("city", &long_city),
            ],
            "city",
            Some("010004"),
        ),
        (
            vec![
                ("streetAddress", "1 Elm St"),
                ("state", "IL"),
                ("city", "Springfield"),
                ("firm", &long_firm),
            ],
            "firm",
            None,
        ),
        (
            vec![
                ("streetAddress", "1 Elm St"),
                ("state", "Illinois"),
                ("city", "Springfield"),
            ],
            "state",
            Some("010003"),
        ),
        (
            vec![
                ("streetAddress", "1 Elm St"),
                ("state", "IL"),
                ("ZIPCode", "6270"),
            ],
            "ZIPCode",
            Some("010002"),
        ),
        (
            vec![
                ("streetAddress", "1 Elm St"),
                ("state", "IL"),
                ("ZIPCode", "62701"),
                ("ZIPPlus4", "12345"),
            ],
            "ZIPPlus4",
            None,
        ),
        (
            vec![("streetAddress", "1 Elm St"), ("state", "IL")],
            "city",
            Some("010004"),
        ),
    ];
    for (query, parameter, code) in cases {
        let (status, body) = get(&http, &sandbox, paths::ADDRESS, &token, &query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query:?}");
        let first = &body["error"]["errors"][0];
        assert_eq!(first["source"]["parameter"], parameter, "{query:?}: {body}");
        match code {
            Some(code) => assert_eq!(first["code"], code, "{query:?}"),
            None => assert!(first.get("code").is_none(), "{query:?}: {body}"),
        }
        assert_eq!(body["error"]["code"], "400");
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn quota_responds_429_with_retry_after() {
    let config = SandboxConfig {
        quota: "3/2s".parse().unwrap(),
        ..Default::default()
    };
    let sandbox = start(config).await;
    let http = client();
    // The token request is the first of the 3 calls.
    let token = token(&http, &sandbox).await;
    let query = [("ZIPCode", "30004")];
    for _ in 0..2 {
        let (status, _) = get(&http, &sandbox, paths::CITY_STATE, &token, &query).await;
        assert_eq!(status, StatusCode::OK);
    }

    let limited = http
        .get(format!("{}{}", sandbox.base_url(), paths::CITY_STATE))
        .bearer_auth(&token)
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after}");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["code"], "429");
    assert_eq!(
        body["error"]["message"],
        "Exceeded quota limit. Please contact https://emailus.usps.com/s/web-tools-inquiry and a representative will assist."
    );
    assert_eq!(body["error"]["errors"][0]["title"], "Too Many Requests.");

    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let (status, _) = get(&http, &sandbox, paths::CITY_STATE, &token, &query).await;
    assert_eq!(status, StatusCode::OK, "no slot after waiting Retry-After");

    let stats = sandbox.stats();
    assert_eq!(stats.rate_limited, 1);
    assert_eq!(stats.responses["429"], 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn bad_tokens_get_401() {
    let sandbox = start(unlimited()).await;
    let http = client();
    let url = format!("{}{}", sandbox.base_url(), paths::CITY_STATE);

    let missing = http
        .get(&url)
        .query(&[("ZIPCode", "30004")])
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert!(missing.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let body: Value = missing.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "apiVersion": "/addresses/v3/",
            "error": {
                "code": "401",
                "message": "Missing or malformed access token.",
                "errors": [{
                    "title": "invalid_token",
                    "detail": "The access token presented with the request is missing or malformed (not a JWT).",
                    "source": "Access Token"
                }]
            }
        })
    );

    let (status, garbage) = get(&http, &sandbox, paths::CITY_STATE, "not-a-jwt", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        garbage["error"]["message"],
        "Missing or malformed access token."
    );

    let token = token(&http, &sandbox).await;
    let (status, _) = get(
        &http,
        &sandbox,
        paths::CITY_STATE,
        &token,
        &[("ZIPCode", "30004")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let expired = http
        .post(format!("{}{EXPIRE_TOKENS_PATH}", sandbox.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), StatusCode::OK);
    let expired: Value = expired.json().await.unwrap();
    assert_eq!(expired["expired_tokens"], 1);

    let response = http
        .get(&url)
        .bearer_auth(&token)
        .query(&[("ZIPCode", "62701")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["errors"][0]["title"], "invalid_token");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));

    // A new token works again, and retrying the query that met the 401 is no repeat.
    let fresh = self::token(&http, &sandbox).await;
    let (status, _) = get(
        &http,
        &sandbox,
        paths::CITY_STATE,
        &fresh,
        &[("ZIPCode", "62701")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sandbox.stats().repeated_requests, 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn token_ttl_expires_tokens() {
    let config = SandboxConfig {
        token_ttl: Duration::from_secs(1),
        ..unlimited()
    };
    let sandbox = start(config).await;
    let http = client();
    let token = token(&http, &sandbox).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = get(
        &http,
        &sandbox,
        paths::CITY_STATE,
        &token,
        &[("ZIPCode", "30004")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["errors"][0]["title"], "invalid_token");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn encoded_values_arrive_intact() {
    let sandbox = start(unlimited()).await;
    let http = client();
    let token = token(&http, &sandbox).await;

    // reqwest percent-encodes `#`, `&`, `½` and accents in query values.
    let (status, body) = get(
        &http,
        &sandbox,
        paths::ADDRESS,
        &token,
        &[
            ("streetAddress", "123½ Main St # 4"),
            ("firm", "AT&T Café"),
            ("city", "Mayagüez"),
            ("state", "PR"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["address"]["streetAddress"], "123 1/2 MAIN ST");
    assert_eq!(body["address"]["secondaryAddress"], "# 4");
    assert_eq!(body["firm"], "AT&T CAFE");
    assert_eq!(body["address"]["city"], "MAYAGUEZ");

    // A hand-encoded query with %20 for spaces decodes the same way.
    let raw = format!(
        "{}{}?streetAddress=1400%20Elm%20St%20%23%20326&firm=A%26B&city=Springfield&state=IL",
        sandbox.base_url(),
        paths::ADDRESS
    );
    let response = http.get(raw).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["address"]["secondaryAddress"], "# 326");
    assert_eq!(body["firm"], "A&B");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn stats_count_requests() {
    let sandbox = start(unlimited()).await;
    let http = client();
    let token = token(&http, &sandbox).await;
    let query = [("ZIPCode", "30004")];
    for _ in 0..3 {
        get(&http, &sandbox, paths::CITY_STATE, &token, &query).await;
    }
    // Parameter order does not make a request new.
    let street = [
        ("streetAddress", "12 Elm St"),
        ("state", "IL"),
        ("ZIPCode", "62701"),
    ];
    let reordered = [
        ("ZIPCode", "62701"),
        ("state", "IL"),
        ("streetAddress", "12 Elm St"),
    ];
    get(&http, &sandbox, paths::ADDRESS, &token, &street).await;
    get(&http, &sandbox, paths::ADDRESS, &token, &reordered).await;
    get(&http, &sandbox, paths::ADDRESS, "bad", &street).await;

    let served: StatsSnapshot = http
        .get(format!("{}{}", sandbox.base_url(), paths::SANDBOX_STATS))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, sandbox.stats(), "the endpoint and stats() differ");
    assert_eq!(served.requests[paths::TOKEN], 1);
    assert_eq!(served.requests[paths::CITY_STATE], 3);
    assert_eq!(served.requests[paths::ADDRESS], 3);
    assert!(!served.requests.contains_key(paths::SANDBOX_STATS));
    assert_eq!(served.responses["200"], 6);
    assert_eq!(served.responses["401"], 1);
    assert_eq!(served.tokens_issued, 1);
    assert_eq!(served.repeated_requests, 3);
    assert_eq!(served.rate_limited, 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn injected_errors_mix_bodies() {
    let config = SandboxConfig {
        faults: Faults {
            error_rate: 1.0,
            ..Default::default()
        },
        seed: 5,
        ..unlimited()
    };
    let sandbox = start(config).await;
    let http = client();
    let token = token(&http, &sandbox).await;
    let mut plain = 0;
    let mut standard = 0;
    for _ in 0..40 {
        let response = http
            .get(format!("{}{}", sandbox.base_url(), paths::CITY_STATE))
            .bearer_auth(&token)
            .query(&[("ZIPCode", "30004")])
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(
            status == StatusCode::INTERNAL_SERVER_ERROR
                || status == StatusCode::SERVICE_UNAVAILABLE,
            "{status}"
        );
        let text = response.text().await.unwrap();
        if text == "There was an internal server error." {
            plain += 1;
        } else {
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(body["error"]["code"], status.as_u16().to_string());
            standard += 1;
        }
    }
    assert!(
        plain > 0 && standard > 0,
        "{plain} plain, {standard} standard"
    );
    assert_eq!(sandbox.stats().repeated_requests, 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn dropped_connection_is_transport_error() {
    let config = SandboxConfig {
        faults: Faults {
            drop_rate: 1.0,
            ..Default::default()
        },
        ..unlimited()
    };
    let sandbox = start(config).await;
    let http = client();
    let token = token(&http, &sandbox).await;
    let result = async {
        let response = http
            .get(format!("{}{}", sandbox.base_url(), paths::CITY_STATE))
            .bearer_auth(&token)
            .query(&[("ZIPCode", "30004")])
            .send()
            .await?;
        response.text().await
    }
    .await;
    assert!(result.is_err(), "a complete response arrived: {result:?}");
    let stats = sandbox.stats();
    assert_eq!(stats.dropped, 1);
    // The one 200 is the token's: the dropped request has no response to count.
    assert_eq!(stats.responses["200"], 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn same_seed_repeats_faults() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let config = SandboxConfig {
            faults: Faults {
                error_rate: 0.5,
                ..Default::default()
            },
            seed,
            ..unlimited()
        };
        let sandbox = start(config).await;
        let http = client();
        let token = token(&http, &sandbox).await;
        let mut statuses = Vec::new();
        for _ in 0..30 {
            let (status, _) = get_status(&http, &sandbox, &token).await;
            statuses.push(status);
        }
        sandbox.shutdown().await;
        statuses
    }
    async fn get_status(http: &Client, sandbox: &Sandbox, token: &str) -> (u16, String) {
        let response = http
            .get(format!("{}{}", sandbox.base_url(), paths::CITY_STATE))
            .bearer_auth(token)
            .query(&[("ZIPCode", "30004")])
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    let first = statuses(9).await;
    assert_eq!(first, statuses(9).await);
    assert!(first.contains(&200), "{first:?}");
    assert!(first.iter().any(|&status| status >= 500), "{first:?}");
}

#[tokio::test]
async fn slow_faults_and_latency_delay_responses() {
    let config = SandboxConfig {
        latency: Duration::from_millis(100),
        faults: Faults {
            slow_rate: 1.0,
            slow_ms: 200,
            ..Default::default()
        },
        ..unlimited()
    };
    let sandbox = start(config).await;
    let http = client();
    let started = Instant::now();
    let token = token(&http, &sandbox).await;
    let token_time = started.elapsed();
    assert!(token_time >= Duration::from_millis(100), "{token_time:?}");

    let started = Instant::now();
    let (status, _) = get(
        &http,
        &sandbox,
        paths::CITY_STATE,
        &token,
        &[("ZIPCode", "30004")],
    )
    .await;
    let api_time = started.elapsed();
    assert_eq!(status, StatusCode::OK);
    assert!(api_time >= Duration::from_millis(300), "{api_time:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn router_serves_on_own_listener() {
    let state = SandboxState::new(unlimited()).unwrap();
    let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, router(state)).await.unwrap();
    });
    let stats: StatsSnapshot = client()
        .get(format!("http://{address}{}", paths::SANDBOX_STATS))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats, StatsSnapshot::default());
    server.abort();
}

#[tokio::test]
async fn start_rejects_bad_faults() {
    let config = SandboxConfig {
        faults: Faults {
            drop_rate: 2.0,
            ..Default::default()
        },
        ..Default::default()
    };
    let error = Sandbox::start(config, loopback()).await.err().unwrap();
    assert!(error.to_string().contains("drop_rate"), "{error}");
}
