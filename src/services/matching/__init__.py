"""The matching engine: hard filters, rule scores, reasons (PRODUCT.md, "Matching")."""
