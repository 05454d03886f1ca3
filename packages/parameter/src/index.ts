// Public API of @tlkit/parameter (filled in by its issue).
export {};
