console.error("tlkit CLI: under construction");
