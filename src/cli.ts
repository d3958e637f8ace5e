// placeholder, replaced by the real CLI
console.log('process-inspector');
