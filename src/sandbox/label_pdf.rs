//! The sandbox's label image: a one-page 4x6 inch PDF with the addresses, the mail class and
//! the tracking number as text and as a row of bars.
//!
//! The bars encode each digit of the tracking number as four bars of width 1 or 2 (its bits),
//! which looks like a barcode and is deterministic, but is no real USPS Intelligent Mail
//! package barcode: a scanner cannot read it.

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream};

use crate::usps::labels::LabelAddress;

/// Page size of a 4x6 inch label, in PDF points.
const PAGE_WIDTH: i64 = 288;
const PAGE_HEIGHT: i64 = 432;

/// Contents that the sandbox prints on a label.
pub(crate) struct LabelText<'a> {
    pub from: &'a LabelAddress,
    pub to: &'a LabelAddress,
    pub mail_class: &'a str,
    pub tracking_number: &'a str,
    pub mailing_date: &'a str,
}

/// Builds the PDF label. The output contains no time stamp, so equal input gives equal bytes.
pub(crate) fn render(label: &LabelText<'_>) -> Vec<u8> {
    let mut document = Document::with_version("1.5");
    let pages_id = document.new_object_id();
    let font_id = document.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Courier",
    });
    let resources_id = document.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });

    let mut operations = Vec::new();
    let mut text = |x: i64, y: i64, size: i64, line: &str| {
        operations.push(Operation::new("BT", vec![]));
        operations.push(Operation::new("Tf", vec!["F1".into(), size.into()]));
        operations.push(Operation::new("Td", vec![x.into(), y.into()]));
        operations.push(Operation::new(
            "Tj",
            vec![Object::string_literal(printable(line))],
        ));
        operations.push(Operation::new("ET", vec![]));
    };

    text(12, 410, 9, label.mailing_date);
    let mut y = 396;
    for line in address_lines(label.from) {
        text(12, y, 8, &line);
        y -= 10;
    }
    text(12, 330, 14, &label.mail_class.replace('_', " "));
    text(30, 300, 9, "SHIP TO:");
    let mut y = 284;
    for line in address_lines(label.to) {
        text(30, y, 11, &line);
        y -= 14;
    }
    text(40, 70, 10, &group_digits(label.tracking_number));
    text(
        12,
        56,
        7,
        "USPS-BATCH SANDBOX LABEL - NOT VALID FOR MAILING",
    );
    operations.extend(bars(label.tracking_number, 24, 90, 60));

    let content = Content { operations };
    let encoded = content.encode().expect("label content operations encode");
    let content_id = document.add_object(Stream::new(dictionary! {}, encoded));
    let page_id = document.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => resources_id,
        "MediaBox" => vec![0.into(), 0.into(), PAGE_WIDTH.into(), PAGE_HEIGHT.into()],
    });
    document.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
        }),
    );
    let catalog_id = document.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    document.trailer.set("Root", catalog_id);

    let mut bytes = Vec::new();
    document
        .save_to(&mut bytes)
        .expect("writing a PDF to memory cannot fail");
    bytes
}

/// Returns the address as printed lines: name, firm, street, secondary, city line.
fn address_lines(address: &LabelAddress) -> Vec<String> {
    let name = [address.first_name.as_deref(), address.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let zip = match &address.zip_plus4 {
        Some(plus4) => format!("{}-{plus4}", address.zip_code),
        None => address.zip_code.clone(),
    };
    [
        Some(name),
        address.firm.clone(),
        Some(address.street_address.clone()),
        address.secondary_address.clone(),
        Some(format!("{} {} {zip}", address.city, address.state)),
    ]
    .into_iter()
    .flatten()
    .filter(|line| !line.trim().is_empty())
    .collect()
}

/// Keeps the characters that the standard Courier font prints; others become `?`.
fn printable(line: &str) -> Vec<u8> {
    line.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c as u8
            } else {
                b'?'
            }
        })
        .collect()
}

/// Groups a tracking number in fours, as USPS prints it.
fn group_digits(tracking_number: &str) -> String {
    tracking_number
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Draws the bars of `digits`, starting at (`x`, `y`), `height` points tall.
fn bars(digits: &str, x: i64, y: i64, height: i64) -> Vec<Operation> {
    let mut operations = Vec::new();
    let mut position = x as f32;
    for digit in digits.bytes().filter(u8::is_ascii_digit) {
        let value = digit - b'0';
        for bit in (0..4).rev() {
            let width = if value & (1 << bit) != 0 { 2.0 } else { 1.0 };
            operations.push(Operation::new(
                "re",
                vec![
                    position.into(),
                    (y as f32).into(),
                    width.into(),
                    (height as f32).into(),
                ],
            ));
            operations.push(Operation::new("f", vec![]));
            position += width + 1.0;
        }
        position += 1.0;
    }
    operations
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(name: &str) -> LabelAddress {
        LabelAddress {
            first_name: Some(name.into()),
            street_address: "4120 BINGHAM AVE".into(),
            city: "SAINT LOUIS".into(),
            state: "MO".into(),
            zip_code: "63116".into(),
            ..Default::default()
        }
    }

    #[test]
    fn label_is_a_one_page_pdf_with_the_addresses() {
        let from = address("SHIPPER");
        let to = address("JOSÉ");
        let bytes = render(&LabelText {
            from: &from,
            to: &to,
            mail_class: "USPS_GROUND_ADVANTAGE",
            tracking_number: "9205500000000000000017",
            mailing_date: "2026-12-04",
        });
        assert!(bytes.starts_with(b"%PDF-1.5"));
        let document = Document::load_mem(&bytes).unwrap();
        assert_eq!(document.get_pages().len(), 1);
        let text = document.extract_text(&[1]).unwrap();
        assert!(text.contains("JOS?"), "{text}");
        assert!(text.contains("4120 BINGHAM AVE"), "{text}");
        assert!(text.contains("9205 5000 0000 0000 0000 17"), "{text}");
    }

    #[test]
    fn same_label_gives_same_bytes() {
        let from = address("A");
        let to = address("B");
        let label = LabelText {
            from: &from,
            to: &to,
            mail_class: "PRIORITY_MAIL",
            tracking_number: "9205500000000000000024",
            mailing_date: "2026-12-04",
        };
        assert_eq!(render(&label), render(&label));
    }
}
