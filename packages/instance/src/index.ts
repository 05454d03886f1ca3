// Public API of @tlkit/instance (filled in by its issue).
export {};
