//! Forgejo's paging of lists: `page` and `limit` in, a `Link` header out.

use super::url;

/// Forgejo's defaults (`[api] DEFAULT_PAGING_NUM` and `MAX_RESPONSE_ITEMS`).
const DEFAULT_LIMIT: usize = 30;
const MAX_LIMIT: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Page {
    /// 1-based.
    pub number: usize,
    pub size: usize,
}

impl Page {
    /// Reads `page` and `limit` as Forgejo does: anything below 1 means the default, a limit
    /// above the maximum is cut down to it rather than refused.
    pub fn from_query(query: &[(String, String)]) -> Page {
        let read = |name: &str| {
            query
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .and_then(|(_, v)| v.parse::<i64>().ok())
                .and_then(|v| usize::try_from(v).ok())
                .filter(|v| *v > 0)
        };
        Page {
            number: read("page").unwrap_or(1),
            size: read("limit").unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT),
        }
    }

    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = (self.number - 1).saturating_mul(self.size).min(items.len());
        let end = start.saturating_add(self.size).min(items.len());
        &items[start..end]
    }

    /// The `Link` header for this page of `total` items, or `None` when there is nothing to
    /// link to. `next`, `last`, `first`, `prev`, in Forgejo's order; a page past the end
    /// links as if it were the last one, as Forgejo's paginator does.
    pub fn link_header(
        &self,
        base: &str,
        path: &str,
        query: &[(String, String)],
        total: usize,
    ) -> Option<String> {
        let pages = total.div_ceil(self.size).max(1);
        let current = self.number.min(pages);
        let mut wanted = Vec::new();
        if total > current * self.size {
            wanted.push((current + 1, "next"));
        }
        if current < pages {
            wanted.push((pages, "last"));
        }
        if current > 1 {
            wanted.push((1, "first"));
            wanted.push((current - 1, "prev"));
        }
        let links: Vec<String> = wanted
            .into_iter()
            .map(|(page, rel)| {
                let mut pairs: Vec<(String, String)> =
                    query.iter().filter(|(n, _)| n != "page").cloned().collect();
                pairs.push(("page".to_owned(), page.to_string()));
                format!(
                    "<{base}{path}?{}>; rel=\"{rel}\"",
                    url::encode_query(&pairs)
                )
            })
            .collect();
        (!links.is_empty()).then(|| links.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn limits_default_and_clamp() {
        assert_eq!(
            Page::from_query(&[]),
            Page {
                number: 1,
                size: 30
            }
        );
        let page = Page::from_query(&query(&[("page", "0"), ("limit", "500")]));
        assert_eq!(
            page,
            Page {
                number: 1,
                size: 50
            }
        );
        let page = Page::from_query(&query(&[("page", "3"), ("limit", "-1")]));
        assert_eq!(
            page,
            Page {
                number: 3,
                size: 30
            }
        );
    }

    #[test]
    fn middle_pages_link_every_way() {
        let q = query(&[("limit", "5"), ("page", "2"), ("state", "open")]);
        let page = Page::from_query(&q);
        assert_eq!(page.slice(&(0..12).collect::<Vec<_>>()), [5, 6, 7, 8, 9]);
        let link = page.link_header("http://h", "/api/v1/x", &q, 12).unwrap();
        assert_eq!(
            link,
            "<http://h/api/v1/x?limit=5&page=3&state=open>; rel=\"next\",\
             <http://h/api/v1/x?limit=5&page=3&state=open>; rel=\"last\",\
             <http://h/api/v1/x?limit=5&page=1&state=open>; rel=\"first\",\
             <http://h/api/v1/x?limit=5&page=1&state=open>; rel=\"prev\""
        );
    }

    #[test]
    fn a_single_page_has_no_links() {
        let page = Page::from_query(&[]);
        assert_eq!(page.link_header("http://h", "/x", &[], 30), None);
        assert_eq!(page.link_header("http://h", "/x", &[], 0), None);
    }
}
