"""The usage app's pages: a customer's usage page, and the admin page that recalculates totals."""
