//! Payments 3.0: `POST /payments/v3/payment-authorization`, which turns the payer and
//! label-owner roles into the token that every Labels call carries.

use serde::{Deserialize, Serialize};

/// Role names that a label purchase needs (the spec lists more, for returns and platforms).
pub const PAYER: &str = "PAYER";
pub const LABEL_OWNER: &str = "LABEL_OWNER";

/// Codes of the Payments API that describe the account rather than the request: an EPS
/// account that is unknown, inactive or without funds. A rerun can succeed once someone fixes
/// the account, so these stop a run as resumable instead of failing it. Source: the USPS
/// error inventory, sheet "Payment" (2025-10).
pub const ACCOUNT_CODES: &[&str] = &[
    "100001", "100002", "100003", "100004", "100005", "100006", "100007",
];

/// Code and message of an EPS account whose balance cannot pay for a label.
pub const INSUFFICIENT_FUNDS_CODE: &str = "100007";
pub const INSUFFICIENT_FUNDS_MESSAGE: &str =
    "Your Trust balance has insufficient funds. Please fund your Trust balance and try again.";

/// One participant of a label transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Role {
    #[serde(rename = "roleName")]
    pub role_name: String,
    #[serde(rename = "CRID", default, skip_serializing_if = "Option::is_none")]
    pub crid: Option<String>,
    #[serde(rename = "MID", default, skip_serializing_if = "Option::is_none")]
    pub mid: Option<String>,
    #[serde(
        rename = "manifestMID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub manifest_mid: Option<String>,
    /// `EPS`, `PERMIT`, `METER` or `OMAS`.
    #[serde(
        rename = "accountType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub account_type: Option<String>,
    #[serde(
        rename = "accountNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub account_number: Option<String>,
    #[serde(
        rename = "permitNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub permit_number: Option<String>,
    #[serde(rename = "permitZIP", default, skip_serializing_if = "Option::is_none")]
    pub permit_zip: Option<String>,
}

/// Body of `POST /payment-authorization` (the spec's `Parties`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentAuthorizationRequest {
    pub roles: Vec<Role>,
}

/// Response of `POST /payment-authorization`. The token is secret: `Debug` hides it.
#[derive(Clone, Serialize, Deserialize)]
pub struct PaymentAuthorizationResponse {
    #[serde(rename = "paymentAuthorizationToken")]
    pub payment_authorization_token: String,
    #[serde(default)]
    pub roles: Vec<Role>,
}

impl std::fmt::Debug for PaymentAuthorizationResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentAuthorizationResponse")
            .field("payment_authorization_token", &"<redacted>")
            .field("roles", &self.roles)
            .finish()
    }
}

/// Payer and label owner of a shipper's labels, as a job file or the environment give them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentAccount {
    /// Customer Registration ID of the payer and the label owner.
    pub crid: String,
    /// Mailer ID of the label owner (6 or 9 digits).
    pub mid: String,
    /// Mailer ID under which the labels are manifested; defaults to `mid`.
    pub manifest_mid: Option<String>,
    /// `EPS` (the default) or `PERMIT`.
    pub account_type: Option<String>,
    /// EPS account number, or the permit number for `PERMIT`.
    pub account_number: String,
    /// ZIP Code of the permit's post office, for `PERMIT` accounts.
    pub permit_zip: Option<String>,
}

impl PaymentAccount {
    /// Builds the PAYER and LABEL_OWNER roles of a label purchase.
    pub fn roles(&self) -> Vec<Role> {
        let account_type = self.account_type.clone().unwrap_or_else(|| "EPS".into());
        let manifest_mid = self
            .manifest_mid
            .clone()
            .unwrap_or_else(|| self.mid.clone());
        let is_permit = account_type == "PERMIT";
        let payer = Role {
            role_name: PAYER.into(),
            crid: Some(self.crid.clone()),
            mid: Some(self.mid.clone()),
            manifest_mid: Some(manifest_mid.clone()),
            account_type: Some(account_type.clone()),
            account_number: (!is_permit).then(|| self.account_number.clone()),
            permit_number: is_permit.then(|| self.account_number.clone()),
            permit_zip: self.permit_zip.clone().filter(|_| is_permit),
        };
        let owner = Role {
            role_name: LABEL_OWNER.into(),
            crid: Some(self.crid.clone()),
            mid: Some(self.mid.clone()),
            manifest_mid: Some(manifest_mid),
            account_type: None,
            account_number: None,
            permit_number: None,
            permit_zip: None,
        };
        vec![payer, owner]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_match_spec_example() {
        let account = PaymentAccount {
            crid: "12345678".into(),
            mid: "123456".into(),
            manifest_mid: None,
            account_type: None,
            account_number: "1234".into(),
            permit_zip: None,
        };
        let body = serde_json::to_value(PaymentAuthorizationRequest {
            roles: account.roles(),
        })
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"roles": [
                {"roleName": "PAYER", "CRID": "12345678", "MID": "123456",
                 "manifestMID": "123456", "accountType": "EPS", "accountNumber": "1234"},
                {"roleName": "LABEL_OWNER", "CRID": "12345678", "MID": "123456",
                 "manifestMID": "123456"}
            ]})
        );
    }

    #[test]
    fn response_debug_hides_token() {
        let response: PaymentAuthorizationResponse =
            serde_json::from_str(r#"{"paymentAuthorizationToken":"secret.jwt.value","roles":[]}"#)
                .unwrap();
        assert_eq!(response.payment_authorization_token, "secret.jwt.value");
        assert!(!format!("{response:?}").contains("secret"));
    }
}
