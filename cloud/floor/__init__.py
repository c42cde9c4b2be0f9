"""Floor heatmaps in the cloud: the store's plan and camera placements (config), which camera owns which cell,
the points written per store, cell and interval, and the k = 5 blanking of the grid (docs/heatmaps.md)."""
