SELECT 'a\'';
