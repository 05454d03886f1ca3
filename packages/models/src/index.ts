// Public API of @tlkit/models (filled in by its issue).
export {};
