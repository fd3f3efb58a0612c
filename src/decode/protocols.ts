/**
 * Loads every dissector so each registers its fields and attaches to its tables: the L2–L4
 * ones, then the application protocols. Order matters only for field listing order
 * (`wiresage fields`).
 */
import './header-dissectors.js';
import '../protocols/index.js';
