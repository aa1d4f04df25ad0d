"""Local WooCommerce REST API (wc/v3) sandbox. See docs/woocommerce-sandbox.md."""
from .server import WooCommerceSandbox, main
from .store import Store

__all__ = ["WooCommerceSandbox", "Store", "main"]
