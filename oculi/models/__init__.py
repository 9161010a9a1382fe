"""Model provisioning: the catalog, the on-disk store and the providers that fill it."""
