//! Parity with scikit-learn: fixtures from `fixtures/make_fixtures.py`.
