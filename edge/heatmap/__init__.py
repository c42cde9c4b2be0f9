"""Floor heatmaps: tracks' floor points mapped onto a coarse grid of the store's plan, accumulated per interval."""
