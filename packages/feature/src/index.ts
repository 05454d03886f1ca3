// Public API of @tlkit/feature (filled in by its issue).
export {};
