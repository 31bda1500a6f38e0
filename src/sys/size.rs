//! Sizes of files and caches: read as people write them (`500M`, `2G`) and shown as people read them
//! (`4.3 MiB`).

/// Parses a size such as `500M`, `2G`, `750K` or `1048576` (bytes; K, M, G are powers of 1024).
pub fn parse(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&text[..i], text[i..].to_ascii_uppercase()),
        None => (text, String::new()),
    };
    let factor: u64 = match unit.trim_end_matches('B').trim_end_matches('I') {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    let number: f64 = number.trim().parse().ok()?;
    (number >= 0.0).then_some((number * factor as f64) as u64)
}

/// `bytes` in the largest binary unit that leaves at least 1 (`512 B`, `4.3 MiB`, `2.0 GiB`).
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_units() {
        assert_eq!(parse("500M"), Some(500 << 20));
        assert_eq!(parse("2G"), Some(2 << 30));
        assert_eq!(parse("1.5KiB"), Some(1536));
        assert_eq!(parse("1024"), Some(1024));
        assert_eq!(parse("12X"), None);
        assert_eq!(parse("-1"), None);
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(human(0), "0 B");
        assert_eq!(human(1023), "1023 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(4_500_000), "4.3 MiB");
        assert_eq!(human(2 << 30), "2.0 GiB");
    }
}
