//! A section a kind adds to its record page. A leaf: the kinds' page
//! modules build sections, the generic record page shows them.

/// A section a kind adds to its record page: a title and linked lines.
pub(crate) struct Section {
    pub title: String,
    pub empty: String,
    pub lines: Vec<(String, String)>,
    /// An action under the section: (label, href).
    pub action: Option<(String, String)>,
}
