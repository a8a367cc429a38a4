"""Print where Playwright's own Chromium is (CI on GitHub runners uses it instead of Debian's)."""

from playwright.sync_api import sync_playwright

if __name__ == "__main__":
    with sync_playwright() as playwright:
        print(playwright.chromium.executable_path)  # noqa: T201
