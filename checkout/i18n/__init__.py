"""Everything customers and staff read, in English and Swahili."""
