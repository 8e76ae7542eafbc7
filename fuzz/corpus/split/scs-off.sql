SELECT 'a\';' AS x, 'b''c', E'd\'e';
SELECT 2;
