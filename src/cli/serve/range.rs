//! HTTP byte ranges (RFC 9110, section 14): what part of a file a `Range: bytes=...` header asks for.
//! Browsers seek in a video with them; one range per request is what they send, and all that is served.

use std::ops::Range;

/// What a request's `Range` header asks of a file of `length` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Asked {
    /// No header, or one that is not a single byte range (served whole, as RFC 9110 allows).
    Whole,
    /// These bytes (answered 206 Partial Content).
    Part(Range<u64>),
    /// A range that starts past the end (answered 416 Range Not Satisfiable).
    Unsatisfiable,
}

/// Reads `header` (`bytes=0-499`, `bytes=500-`, `bytes=-500`) for a file of `length` bytes.
pub fn asked(header: Option<&str>, length: u64) -> Asked {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Asked::Whole;
    };
    if spec.contains(',') {
        return Asked::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Asked::Whole;
    };
    let number = |text: &str| text.trim().parse::<u64>().ok();
    let range = match (first.trim().is_empty(), number(first), number(last)) {
        // The last N bytes.
        (true, _, Some(suffix)) if suffix > 0 => length.saturating_sub(suffix)..length,
        (true, ..) => return Asked::Unsatisfiable,
        (false, Some(start), None) if last.trim().is_empty() => start..length,
        (false, Some(start), Some(end)) if end >= start => start..(end + 1).min(length),
        _ => return Asked::Whole,
    };
    if range.start >= length {
        Asked::Unsatisfiable
    } else {
        Asked::Part(range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_browsers_send_them() {
        assert_eq!(asked(None, 1000), Asked::Whole);
        assert_eq!(asked(Some("bytes=0-"), 1000), Asked::Part(0..1000));
        assert_eq!(asked(Some("bytes=0-499"), 1000), Asked::Part(0..500));
        assert_eq!(asked(Some("bytes=500-"), 1000), Asked::Part(500..1000));
        assert_eq!(asked(Some("bytes=-200"), 1000), Asked::Part(800..1000));
        assert_eq!(asked(Some("bytes=900-5000"), 1000), Asked::Part(900..1000));
        assert_eq!(asked(Some("bytes=1000-"), 1000), Asked::Unsatisfiable);
        assert_eq!(asked(Some("bytes=-0"), 1000), Asked::Unsatisfiable);
        assert_eq!(asked(Some("bytes=5-2"), 1000), Asked::Whole);
        assert_eq!(asked(Some("bytes=0-1,5-9"), 1000), Asked::Whole);
        assert_eq!(asked(Some("items=0-1"), 1000), Asked::Whole);
    }
}
