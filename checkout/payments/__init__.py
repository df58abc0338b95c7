"""M-Pesa payments: starting pushes within limits, settling, keeping callbacks, reconciling."""
