//! Usage and cost: what a provider consumed for a node (characters spoken, tokens, images, requests), and what
//! that costs at the provider's unit prices (the Videofile's `[prices.NAME]`, else its API's list prices;
//! built-in providers are free).

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

/// What one node consumed from its provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    pub characters: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub images: u64,
    pub requests: u64,
}

impl AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        self.characters += other.characters;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.images += other.images;
        self.requests += other.requests;
    }
}

/// A provider's unit prices, in the Videofile's currency (all zero unless set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Price {
    pub per_million_characters: f64,
    pub per_million_input_tokens: f64,
    pub per_million_output_tokens: f64,
    pub per_image: f64,
    pub per_request: f64,
}

impl Price {
    /// What `usage` costs at these prices.
    pub fn cost(&self, usage: &Usage) -> f64 {
        let million = 1_000_000.0;
        usage.characters as f64 * self.per_million_characters / million
            + usage.input_tokens as f64 * self.per_million_input_tokens / million
            + usage.output_tokens as f64 * self.per_million_output_tokens / million
            + usage.images as f64 * self.per_image
            + usage.requests as f64 * self.per_request
    }

    /// True when some price is negative or not a number.
    pub fn is_invalid(&self) -> bool {
        [
            self.per_million_characters,
            self.per_million_input_tokens,
            self.per_million_output_tokens,
            self.per_image,
            self.per_request,
        ]
        .iter()
        .any(|p| !p.is_finite() || *p < 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_usage_times_unit_prices() {
        let price = Price {
            per_million_characters: 15.0,
            per_image: 0.04,
            ..Price::default()
        };
        let mut usage = Usage {
            characters: 200_000,
            ..Usage::default()
        };
        usage += Usage {
            images: 3,
            ..Usage::default()
        };
        assert!((price.cost(&usage) - (3.0 + 0.12)).abs() < 1e-12);
        assert!(
            Price {
                per_image: -1.0,
                ..Price::default()
            }
            .is_invalid()
        );
    }
}
