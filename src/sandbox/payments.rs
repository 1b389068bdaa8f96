//! Payments 3.0 in the sandbox: `POST /payments/v3/payment-authorization` checks the roles
//! and issues the token that the label endpoints require. Accounts and tokens live in the
//! [`LabelDesk`] of `labels.rs`, which charges the labels.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use tokio::time::Instant;
use tracing::{debug, info};

use crate::usps::payments::{
    PaymentAuthorizationRequest, PaymentAuthorizationResponse, Role, LABEL_OWNER, PAYER,
};

use super::labels::{
    error_response, insufficient_funds, Grant, LabelDesk, PAYMENTS_API_VERSION, PAYMENT_TOKEN_TTL,
};

impl LabelDesk {
    /// Handles `POST /payments/v3/payment-authorization`.
    pub fn authorize(&self, body: &[u8]) -> Response {
        let request: PaymentAuthorizationRequest = match serde_json::from_slice(body) {
            Ok(request) => request,
            Err(error) => {
                return error_response(
                    PAYMENTS_API_VERSION,
                    StatusCode::BAD_REQUEST,
                    None,
                    &format!("Invalid request body: {error}."),
                    None,
                )
            }
        };
        let payer = match check_roles(&request.roles) {
            Ok(payer) => payer,
            Err((code, message)) => {
                return error_response(
                    PAYMENTS_API_VERSION,
                    StatusCode::BAD_REQUEST,
                    Some(code),
                    &message,
                    Some("roles"),
                )
            }
        };
        let crid = payer.crid.clone().unwrap_or_default();
        let account_number = payer
            .account_number
            .clone()
            .or(payer.permit_number.clone())
            .unwrap_or_default();

        let mut desk = self.lock();
        let account = desk.account(&account_number, self.balance);
        if account
            .balance
            .is_some_and(|balance| balance <= Decimal::ZERO)
        {
            info!(account = %account_number, "payment authorization rejected: no funds");
            return insufficient_funds(PAYMENTS_API_VERSION);
        }
        let token = format!(
            "sandbox.{}.{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        desk.grants.insert(
            token.clone(),
            Grant {
                crid,
                account: account_number.clone(),
                expires_at: Instant::now() + PAYMENT_TOKEN_TTL,
            },
        );
        debug!(account = %account_number, "issued a payment authorization token");
        let response = PaymentAuthorizationResponse {
            payment_authorization_token: token,
            roles: request.roles,
        };
        (StatusCode::OK, Json(response)).into_response()
    }
}

/// Checks the roles of a payment authorization and returns the payer.
fn check_roles(roles: &[Role]) -> Result<&Role, (&'static str, String)> {
    let find = |name: &str| roles.iter().find(|role| role.role_name == name);
    let payer = find(PAYER).ok_or(("160228", "PAYER is required".to_string()))?;
    let owner = find(LABEL_OWNER).ok_or(("160229", "LABEL_OWNER is required".to_string()))?;

    let present = |value: &Option<String>| value.as_deref().is_some_and(|text| !text.is_empty());
    if !present(&payer.crid) {
        return Err(("160218", "PAYER requires CRID".into()));
    }
    if !present(&payer.account_type) {
        return Err(("160223", "PAYER requires accountType".into()));
    }
    if payer.account_type.as_deref() == Some("EPS") && !present(&payer.account_number) {
        return Err((
            "160224",
            "PAYER requires accountNumber when accountType is EPS".into(),
        ));
    }
    if payer.account_type.as_deref() == Some("PERMIT") && !present(&payer.permit_number) {
        return Err((
            "160225",
            "PAYER requires permitNumber when accountType is PERMIT".into(),
        ));
    }

    if !present(&owner.crid) {
        return Err(("160218", "LABEL_OWNER requires CRID".into()));
    }
    if !present(&owner.mid) {
        return Err(("160221", "LABEL_OWNER requires MID".into()));
    }
    if !present(&owner.manifest_mid) {
        return Err(("160222", "LABEL_OWNER requires manifestMID".into()));
    }
    Ok(payer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_need_payer_and_owner() {
        let payer = Role {
            role_name: PAYER.into(),
            crid: Some("1".into()),
            account_type: Some("EPS".into()),
            account_number: Some("9".into()),
            ..Role::default()
        };
        assert_eq!(
            check_roles(std::slice::from_ref(&payer)).unwrap_err().0,
            "160229"
        );
        let owner = Role {
            role_name: LABEL_OWNER.into(),
            crid: Some("1".into()),
            mid: Some("123456".into()),
            manifest_mid: Some("123456".into()),
            ..Role::default()
        };
        assert_eq!(
            check_roles(std::slice::from_ref(&owner)).unwrap_err().0,
            "160228"
        );
        assert!(check_roles(&[payer, owner]).is_ok());
    }
}
