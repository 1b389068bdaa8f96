//! Domestic Labels 3.0: the label request the runner sends, the metadata USPS returns, the
//! cancel response, and the parsing of the multipart response.
//!
//! `POST /labels/v3/label` responds with several parts: JSON metadata, the Base64 label image
//! and an optional Base64 receipt. The spec declares `multipart/form-data`, other USPS
//! documents say `multipart/mixed`, and success has been seen as 200 where older documents say
//! 201. [`parse_label_response`] therefore reads any `multipart/*` type with the boundary from
//! `Content-Type`, and also the single-JSON form that `Accept: application/vnd.usps.labels+json`
//! selects.

use base64::Engine;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Header that carries the payment authorization token on every Labels call.
pub const PAYMENT_TOKEN_HEADER: &str = "X-Payment-Authorization-Token";
/// Header that makes a label purchase safe to repeat: the same key with an identical body
/// returns the existing label without a new charge.
pub const IDEMPOTENCY_KEY_HEADER: &str = "X-Idempotency-Key";

/// An address of a label request (`toAddress`, `fromAddress`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct LabelAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firm: Option<String>,
    pub street_address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_address: Option<String>,
    pub city: String,
    pub state: String,
    #[serde(rename = "ZIPCode")]
    pub zip_code: String,
    #[serde(rename = "ZIPPlus4", default, skip_serializing_if = "Option::is_none")]
    pub zip_plus4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `packageDescription` in the shape with `rateIndicator`. Weight in pounds, dimensions in
/// inches, as the spec's `weightUOM` and `dimensionsUOM` enums fix them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageDescription {
    #[serde(rename = "weightUOM", default = "pounds")]
    pub weight_uom: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub weight: Decimal,
    #[serde(rename = "dimensionsUOM", default = "inches")]
    pub dimensions_uom: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub length: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub width: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub height: Decimal,
    pub mail_class: String,
    pub processing_category: String,
    pub rate_indicator: String,
    pub destination_entry_facility_type: String,
    /// `YYYY-MM-DD`. The runner leaves it empty until the row's first attempt is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailing_date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_services: Vec<u16>,
}

fn pounds() -> String {
    "lb".into()
}

fn inches() -> String {
    "in".into()
}

/// `imageInfo`: the label's file type and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageInfo {
    /// `PDF`, `PNG`, `TIFF`, `ZPL203DPI`...
    pub image_type: String,
    /// `4X6LABEL`, `4X4LABEL`...
    pub label_type: String,
    /// `SAME_PAGE`, `SEPARATE_PAGE` or `NONE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_option: Option<String>,
}

/// Body of `POST /labels/v3/label` (the parts of the spec's `LabelRequest` the runner fills).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelRequest {
    pub image_info: ImageInfo,
    pub to_address: LabelAddress,
    pub from_address: LabelAddress,
    pub package_description: PackageDescription,
}

/// `commitment` of the label metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Commitment {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub schedule_delivery_date: Option<String>,
}

/// The `labelMetadata` part. Unknown fields are accepted, as live responses carry more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelMetadata {
    pub tracking_number: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub postage: Decimal,
    #[serde(rename = "SKU", default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<Commitment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailing_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_information: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_address: Option<LabelAddress>,
}

/// Response of `DELETE /labels/v3/label/{trackingNumber}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelResponse {
    pub tracking_number: String,
    /// `CANCELED`, or `DISPUTED` when a refund request was submitted.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute_id: Option<String>,
}

/// A decoded image part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelFile {
    /// The part's `Content-Type`, such as `application/pdf`.
    pub content_type: Option<String>,
    /// The part's file name, such as `labelImage.pdf`.
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

impl LabelFile {
    /// Returns the file extension for the image: from the content type when it names one,
    /// else from the part's file name, else from the requested image type.
    pub fn extension(&self, image_type: &str) -> String {
        let from_type = self.content_type.as_deref().and_then(|content_type| {
            let essence = content_type.split(';').next().unwrap_or("").trim();
            match essence.to_ascii_lowercase().as_str() {
                "application/pdf" => Some("pdf"),
                "image/png" => Some("png"),
                "image/tiff" => Some("tif"),
                "image/jpeg" | "image/jpg" => Some("jpg"),
                "image/gif" => Some("gif"),
                "image/svg+xml" => Some("svg"),
                _ => None,
            }
        });
        if let Some(extension) = from_type {
            return extension.to_string();
        }
        let from_name = self
            .file_name
            .as_deref()
            .and_then(|name| name.rsplit_once('.'))
            .map(|(_, extension)| extension.to_ascii_lowercase())
            .filter(|extension| {
                !extension.is_empty() && extension.chars().all(|c| c.is_ascii_alphanumeric())
            });
        if let Some(extension) = from_name {
            return extension;
        }
        match image_type {
            "PDF" => "pdf",
            "PNG" => "png",
            "TIFF" => "tif",
            "JPG" => "jpg",
            "GIF" => "gif",
            "SVG" => "svg",
            "ZPL203DPI" | "ZPL300DPI" => "zpl",
            "EPL300DPI" => "epl",
            _ => "bin",
        }
        .to_string()
    }
}

/// A parsed label response.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelResponse {
    pub metadata: LabelMetadata,
    /// Absent when the request asked for image type `NONE`.
    pub label: Option<LabelFile>,
    pub receipt: Option<LabelFile>,
}

/// Parses a 2xx response of `POST /label`, multipart or single JSON.
pub fn parse_label_response(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<LabelResponse, String> {
    let content_type = content_type.unwrap_or("").trim();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence.starts_with("multipart/") {
        parse_multipart(content_type, body)
    } else if essence.contains("json") {
        parse_vendor_json(body)
    } else {
        Err(format!(
            "unexpected Content-Type {content_type:?}; a label response is multipart or JSON"
        ))
    }
}

fn parse_multipart(content_type: &str, body: &[u8]) -> Result<LabelResponse, String> {
    // multer's own boundary parser accepts multipart/form-data only, and USPS documents
    // multipart/mixed too, so the boundary is read with the `mime` crate.
    let boundary = content_type
        .parse::<mime::Mime>()
        .ok()
        .and_then(|parsed| {
            parsed
                .get_param(mime::BOUNDARY)
                .map(|value| value.to_string())
        })
        .filter(|boundary| !boundary.is_empty())
        .ok_or_else(|| format!("Content-Type {content_type:?} has no boundary parameter"))?;
    let chunk = bytes_of(body);
    let stream = futures::stream::once(async move { Ok::<_, std::convert::Infallible>(chunk) });
    let mut multipart = multer::Multipart::new(stream, boundary);

    // The stream is already in memory, so every future below completes without waiting.
    futures::executor::block_on(async move {
        let mut metadata = None;
        let mut label = None;
        let mut receipt = None;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|error| format!("the multipart body does not parse: {error}"))?
        {
            let name = field.name().unwrap_or("").to_string();
            let file_name = field.file_name().map(str::to_string);
            let part_type = field.content_type().map(|mime| mime.to_string());
            let bytes = field
                .bytes()
                .await
                .map_err(|error| format!("part {name:?} does not parse: {error}"))?;
            match name.as_str() {
                "labelMetadata" => {
                    let parsed: LabelMetadata = serde_json::from_slice(&bytes)
                        .map_err(|error| format!("part labelMetadata: {error}"))?;
                    metadata = Some(parsed);
                }
                "labelImage" | "receiptImage" => {
                    // The spec: "always Base64 encoded", whatever the part's encoding headers.
                    let decoded = decode_base64(&bytes)
                        .map_err(|error| format!("part {name}: invalid Base64: {error}"))?;
                    let file = LabelFile {
                        content_type: part_type,
                        file_name,
                        bytes: decoded,
                    };
                    if name == "labelImage" {
                        label = Some(file);
                    } else {
                        receipt = Some(file);
                    }
                }
                // Return labels and Label Broker parts are not requested by the runner.
                _ => {}
            }
        }
        let metadata = metadata.ok_or("the response has no labelMetadata part")?;
        Ok(LabelResponse {
            metadata,
            label,
            receipt,
        })
    })
}

fn bytes_of(body: &[u8]) -> axum::body::Bytes {
    axum::body::Bytes::copy_from_slice(body)
}

/// The `application/vnd.usps.labels+json` form: metadata at top level beside Base64 images.
fn parse_vendor_json(body: &[u8]) -> Result<LabelResponse, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Images {
        label_image: Option<String>,
        receipt_image: Option<String>,
    }
    let metadata: LabelMetadata =
        serde_json::from_slice(body).map_err(|error| format!("label metadata: {error}"))?;
    let images: Images =
        serde_json::from_slice(body).map_err(|error| format!("label images: {error}"))?;
    let file = |text: Option<String>, name: &str| -> Result<Option<LabelFile>, String> {
        text.map(|text| {
            decode_base64(text.as_bytes())
                .map(|bytes| LabelFile {
                    content_type: None,
                    file_name: None,
                    bytes,
                })
                .map_err(|error| format!("{name}: invalid Base64: {error}"))
        })
        .transpose()
    };
    Ok(LabelResponse {
        metadata,
        label: file(images.label_image, "labelImage")?,
        receipt: file(images.receipt_image, "receiptImage")?,
    })
}

/// Decodes Base64 that may be wrapped over several lines.
fn decode_base64(text: &[u8]) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|byte| !byte.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(compact)
}

/// Encodes bytes as the Base64 of a label part.
pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &str = r#"{"trackingNumber":"9205500000000000000017","postage":9.35,"SKU":"DUXP0XXXXC06010","zone":"05","commitment":{"name":"2 Days","scheduleDeliveryDate":"2026-12-07"}}"#;

    fn framed(boundary: &str) -> Vec<u8> {
        format!(
            "--{boundary}\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"labelMetadata\"\r\n\r\n{METADATA}\r\n\
             --{boundary}\r\nContent-Type: application/pdf\r\nContent-Disposition: form-data; filename=\"labelImage.pdf\"; name=\"labelImage\"\r\n\r\n{}\r\n\
             --{boundary}--\r\n",
            encode_base64(b"%PDF-1.4 label")
        )
        .into_bytes()
    }

    #[test]
    fn multipart_form_data_parses() {
        let response = parse_label_response(
            Some("multipart/form-data; boundary=abc123"),
            &framed("abc123"),
        )
        .unwrap();
        assert_eq!(response.metadata.tracking_number, "9205500000000000000017");
        assert_eq!(response.metadata.postage, Decimal::new(935, 2));
        assert_eq!(response.metadata.zone.as_deref(), Some("05"));
        let label = response.label.unwrap();
        assert_eq!(label.bytes, b"%PDF-1.4 label");
        assert_eq!(label.extension("PNG"), "pdf");
        assert!(response.receipt.is_none());
    }

    #[test]
    fn quoted_boundary_and_mixed_type_parse() {
        let response = parse_label_response(
            Some("multipart/mixed; charset=utf-8; boundary=\"with space=\""),
            &framed("with space="),
        )
        .unwrap();
        assert_eq!(response.metadata.tracking_number, "9205500000000000000017");
        assert!(response.label.is_some());
    }

    #[test]
    fn vendor_json_parses() {
        let body = format!(
            r#"{{"trackingNumber":"1","postage":1.5,"labelImage":"{}"}}"#,
            encode_base64(b"ZPL")
        );
        let response =
            parse_label_response(Some("application/vnd.usps.labels+json"), body.as_bytes())
                .unwrap();
        assert_eq!(response.metadata.postage, Decimal::new(15, 1));
        assert_eq!(response.label.unwrap().bytes, b"ZPL");
    }

    #[test]
    fn missing_metadata_is_an_error() {
        let body =
            "--b\r\nContent-Disposition: form-data; name=\"labelImage\"\r\n\r\nQUJD\r\n--b--\r\n";
        let error = parse_label_response(Some("multipart/form-data; boundary=b"), body.as_bytes())
            .unwrap_err();
        assert!(error.contains("labelMetadata"), "{error}");
    }

    #[test]
    fn html_is_rejected() {
        let error = parse_label_response(Some("text/html"), b"<html>").unwrap_err();
        assert!(error.contains("text/html"), "{error}");
    }

    #[test]
    fn extension_falls_back_to_image_type() {
        let file = LabelFile {
            content_type: Some("application/octet-stream".into()),
            file_name: None,
            bytes: Vec::new(),
        };
        assert_eq!(file.extension("ZPL203DPI"), "zpl");
        assert_eq!(file.extension("TIFF"), "tif");
    }
}
