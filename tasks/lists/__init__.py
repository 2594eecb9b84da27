"""External list imports (扶贫办 / 民政 / 医保) for the 四个一致 check."""
