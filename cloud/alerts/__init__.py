"""Recognition alerts leaving the cloud: VIP alerts to the site's CRM webhook, watchlist alerts to its security one."""
