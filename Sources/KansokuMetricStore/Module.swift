// Module KansokuMetricStore.
