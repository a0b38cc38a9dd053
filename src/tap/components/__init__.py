"""One ComponentResource per concern; TapPipeline composes them for one environment."""
