//! Query strings and path segments: decoding what clients send and encoding the links the
//! fake hands back.

/// The query's `name=value` pairs in order, decoded as HTML forms encode them (`+` is a
/// space), as Go's net/url reads them.
pub(super) fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name, true), decode(value, true))
        })
        .collect()
}

/// Percent-decodes `text`; malformed escapes are kept as they are rather than rejected, so
/// that the spec check, not this, reports what is wrong with them.
pub(super) fn decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
}

/// Encodes pairs the way Go's `url.Values.Encode` does (sorted by name, spaces as `+`), which
/// is how Forgejo writes the query of its `Link` headers.
pub(super) fn encode_query(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode_like_html_forms() {
        let pairs = parse_query("labels=smoke%2Calert&q=a+b&flag&&x=%zz");
        let expected = [
            ("labels", "smoke,alert"),
            ("q", "a b"),
            ("flag", ""),
            ("x", "%zz"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(pairs, expected);
        assert_eq!(decode("a+b%20c", false), "a+b c");
        assert_eq!(decode("trailing%2", false), "trailing%2");
    }

    #[test]
    fn links_encode_sorted_like_go() {
        let pairs = vec![
            ("page".to_string(), "2".to_string()),
            ("labels".to_string(), "smoke alert,x/y".to_string()),
        ];
        assert_eq!(encode_query(&pairs), "labels=smoke+alert%2Cx%2Fy&page=2");
    }
}
